"""A redemption request is the holder's only if their wallet's key signed every term as it
reaches KYC (EIP-712), before its deadline: given the holder's signed request, expect each
changed term, another key, a passed deadline to be refused with its reason, before any
customer rule is looked at (and so before anything is reserved)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import pytest

from clients.wallet import Wallet
from schemas.signing import redemption_typed_data
from services.kyc.domain.eligibility import (
    TOKEN_MINOR,
    BeneficiaryView,
    CustomerView,
    Signed,
    WalletView,
    check,
)
from services.kyc.domain.wallets import redemption_signer
from tests.unit.kyc.test_eligibility import POLICY

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
HOLDER, ATTACKER = Wallet(), Wallet()  # keys of this run only
CUSTOMER = uuid.uuid4()
GOOD = CustomerView("verified", "standard", "standard", frozen=False, sanctioned=False)
WALLET = WalletView(CUSTOMER, HOLDER.address, proof_verified=True, frozen=False)
ACCOUNT = BeneficiaryView(CUSTOMER, "verified")


@dataclass(frozen=True)
class Terms:
    """The seven signed terms of a request, as a CheckEligibility carries them (the wallet
    by its registered address, which KYC fills in from the wallet id)."""

    redemption_id: uuid.UUID
    wallet: str
    amount: int
    payout_currency: str
    beneficiary_account_id: uuid.UUID
    quote_id: uuid.UUID | None
    deadline: int

    def signed_by(self, wallet: Wallet) -> str:
        fields = {k: v for k, v in vars(self).items() if k != "wallet"}
        return wallet.approve(**fields)

    def signer(self, signature: str, chain_id: int = 31337) -> str | None:
        return redemption_signer(redemption_typed_data(**vars(self), chain_id=chain_id), signature)


REQUEST = Terms(
    redemption_id=uuid.uuid4(),
    wallet=HOLDER.address,
    amount=1_000 * TOKEN_MINOR,
    payout_currency="USD",
    beneficiary_account_id=uuid.uuid4(),
    quote_id=uuid.uuid4(),
    deadline=int(NOW.timestamp()) + 300,
)


def decide(
    terms: Terms,
    signature: str,
    *,
    customer: CustomerView = GOOD,
    now: dt.datetime = NOW,
    chain_id: int = 31337,
) -> str | None:
    """KYC's answer (a refusal reason, None: eligible) to a request with `terms` arriving
    with `signature`."""
    signed = Signed(signer=terms.signer(signature, chain_id), deadline=terms.deadline)
    refusal = check(POLICY, CUSTOMER, customer, WALLET, ACCOUNT, terms.amount, 0, signed, now)
    return refusal.reason if refusal else None


def test_the_holders_signed_request_is_eligible() -> None:
    assert decide(REQUEST, REQUEST.signed_by(HOLDER)) is None
    cnh = replace(REQUEST, payout_currency="CNH", quote_id=None)
    assert decide(cnh, cnh.signed_by(HOLDER)) is None, "no quote: signed as the empty string"


@pytest.mark.parametrize(
    "changed",
    [
        {"redemption_id": uuid.uuid4()},
        {"wallet": ATTACKER.address},
        {"amount": REQUEST.amount + 1},
        {"payout_currency": "HKD"},
        {"beneficiary_account_id": uuid.uuid4()},
        {"quote_id": uuid.uuid4()},
        {"quote_id": None},
        {"deadline": REQUEST.deadline + 3_600},
    ],
    ids=lambda changed: next(iter(changed)),
)
def test_a_term_changed_after_signing_is_refused(changed: dict[str, object]) -> None:
    signature = REQUEST.signed_by(HOLDER)
    assert decide(replace(REQUEST, **changed), signature) == "signature_invalid"  # type: ignore[arg-type]


def test_another_keys_signature_is_refused_whatever_it_names() -> None:
    # the gateway's forgery: the victim's customer and wallet ids, the attacker's own key
    assert decide(REQUEST, REQUEST.signed_by(ATTACKER)) == "signature_invalid"


def test_a_signature_for_another_chain_is_refused() -> None:
    signature = REQUEST.signed_by(HOLDER)
    assert decide(REQUEST, signature, chain_id=1) == "signature_invalid"


def test_a_passed_deadline_is_refused_the_deadline_second_still_counts() -> None:
    signature = REQUEST.signed_by(HOLDER)
    at_deadline = dt.datetime.fromtimestamp(REQUEST.deadline, dt.UTC)
    assert decide(REQUEST, signature, now=at_deadline) is None
    later = at_deadline + dt.timedelta(seconds=1)
    assert decide(REQUEST, signature, now=later) == "signature_expired"


def test_an_unsigned_request_learns_nothing_about_the_customer() -> None:
    frozen = replace(GOOD, frozen=True, sanctioned=True)
    assert decide(REQUEST, REQUEST.signed_by(ATTACKER), customer=frozen) == "signature_invalid"
    assert decide(REQUEST, REQUEST.signed_by(HOLDER), customer=frozen) == "customer_frozen"


def test_a_malformed_signature_recovers_nobody() -> None:
    assert REQUEST.signer("0x" + "00" * 65) is None
    assert decide(REQUEST, "0x" + "ff" * 65) == "signature_invalid"
