"""A redemption request is the holder's only if their wallet's key signed every term as it
reaches KYC (EIP-712), before its deadline: given a redeemer and the CheckEligibility their
key signed, when `check_eligibility` runs on a term changed after signing, another key's
signature or a passed deadline, expect its refusal, before any customer rule is looked at
and with nothing reserved."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

from clients.wallet import Wallet
from schemas.kyc import CheckEligibility, Eligible
from services.kyc.use_cases.eligibility import check_eligibility
from services.kyc.use_cases.operators import FreezeCustomer, freeze_customer
from tests.support.money import tokens
from tests.unit.kyc.fakes import KycFakeWork
from tests.unit.kyc.givens import (
    DEADLINE,
    Redeemer,
    check,
    redeemer,
    registered_wallet,
    verified_account,
)


async def answer(work: KycFakeWork, command: CheckEligibility) -> str | None:
    """KYC's answer to `command`: its refusal's reason, None when eligible. A refusal must
    have reserved nothing: a forged request may not hold the holder's limits either."""
    reply = await check_eligibility(work, command)
    decided = work.checks.decided[command.redemption_id].outcome
    if isinstance(reply, Eligible):
        assert decided == "reserved"
        return None
    assert decided == "refused"
    return reply.reason


async def test_the_holders_signed_request_is_eligible(work: KycFakeWork) -> None:
    who = await redeemer(work)

    assert await answer(work, check(who, 100)) is None
    cnh = check(who, 100, payout_currency="CNH", quoted=False)
    assert await answer(work, cnh) is None, "no quote: signed as the empty string"


async def tampered(
    work: KycFakeWork, who: Redeemer, signed: CheckEligibility, term: str
) -> CheckEligibility:
    """`signed` with `term` changed after signing, to a value KYC would accept had the
    holder signed it: another wallet or account is the customer's own, proven or verified,
    so only the signature can tell."""
    update: dict[str, object]
    match term:
        case "redemption_id":
            update = {"redemption_id": uuid.uuid4()}
        case "wallet":  # a wallet the signature did not name, its own key registered
            update = {"wallet_id": await registered_wallet(work, who.customer_id, Wallet())}
        case "amount":
            update = {"amount": tokens(signed.amount.amount_minor + 1)}
        case "payout_currency":
            update = {"payout_currency": "HKD"}
        case "beneficiary_account":
            update = {"beneficiary_account_id": await verified_account(work, who.customer_id)}
        case "quote_id":
            update = {"quote_id": uuid.uuid4()}
        case "quote_id_removed":
            update = {"quote_id": None}
        case "deadline":
            update = {"deadline": signed.deadline + 3_600}
        case _:
            raise ValueError(f"no signed term {term}")
    return signed.model_copy(update=update)


@pytest.mark.parametrize(
    "term",
    ["redemption_id", "wallet", "amount", "payout_currency", "beneficiary_account", "quote_id",
     "quote_id_removed", "deadline"],
)  # fmt: skip
async def test_a_term_changed_after_signing_is_refused(work: KycFakeWork, term: str) -> None:
    who = await redeemer(work)
    command = await tampered(work, who, check(who, 100), term)

    assert await answer(work, command) == "signature_invalid"


async def test_another_keys_signature_is_refused_whatever_it_names(work: KycFakeWork) -> None:
    who = await redeemer(work)
    # the gateway's forgery: the victim's customer and wallet ids, the attacker's own key
    forged = check(who, 100, signer=Wallet())

    assert await answer(work, forged) == "signature_invalid"


async def test_a_signature_for_another_chain_is_refused(work: KycFakeWork) -> None:
    # KYC deployed for a chain other than the default: the signature binds that chain, so
    # the holder's signature made for the default chain (or any other) is no approval here
    work.terms = dataclasses.replace(work.terms, chain_id=work.terms.chain_id + 1)
    who = await redeemer(work)
    here = dataclasses.replace(who.key, chain_id=work.terms.chain_id)
    elsewhere = dataclasses.replace(who.key, chain_id=work.terms.chain_id + 1)

    assert await answer(work, check(who, 100, signer=here)) is None
    assert await answer(work, check(who, 100)) == "signature_invalid"
    assert await answer(work, check(who, 100, signer=elsewhere)) == "signature_invalid"


async def test_a_passed_deadline_is_refused_the_deadline_second_still_counts(
    work: KycFakeWork,
) -> None:
    who = await redeemer(work)
    at_deadline = dt.datetime.fromtimestamp(DEADLINE, dt.UTC)

    # no intake time carried: the request counts as accepted when KYC's clock reads
    work.clock = at_deadline
    assert await answer(work, check(who, 100, accepted_at=None)) is None
    work.clock = at_deadline + dt.timedelta(seconds=1)
    assert await answer(work, check(who, 100, accepted_at=None)) == "signature_expired"


async def test_an_unsigned_request_learns_nothing_about_the_customer(work: KycFakeWork) -> None:
    who = await redeemer(work)
    await freeze_customer(work, FreezeCustomer(who.customer_id, True, "court_order", "cli:ops"))

    assert await answer(work, check(who, 100, signer=Wallet())) == "signature_invalid"
    assert await answer(work, check(who, 100)) == "customer_frozen"


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("0x" + "00" * 65, id="zeros"),
        pytest.param("0x" + "ff" * 65, id="ones"),
        # canonical in form (s in the lower half, v 27): only recovering it finds no key
        pytest.param("0x" + "00" * 32 + "00" * 31 + "01" + "1b", id="no_key"),
    ],
)
async def test_a_malformed_signature_recovers_nobody(work: KycFakeWork, garbage: str) -> None:
    who = await redeemer(work)
    command = check(who, 100).model_copy(update={"signature": garbage})

    assert await answer(work, command) == "signature_invalid"
