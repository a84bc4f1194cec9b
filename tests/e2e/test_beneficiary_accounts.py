"""Where a redemption's money may go, end to end: a bank account registered for the same
customer, in their own name, and confirmed by the bank; the saga names it by id only.

    holder ──RegisterBankAccount (sealed to KYC)──> KYC: the holder name is the KYC name?
    KYC ──CheckBankAccount (sealed to settlement)──> settlement ──account check──> bank
    settlement ──BankAccountChecked──> KYC ──BankAccountVerified / Refused──> kyc.events
    Redeem(beneficiary_account_id) ──> KYC's eligibility: theirs and verified? ... ──>
    SendPayout(customer, account id) ──> settlement pays the account on file
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest

from clients.scenarios import Holder, Person, fund, onboard, redeem, register_account
from schemas.issuance import Minted
from schemas.redemption import RedemptionCompleted, RedemptionFailed
from services.settlement.use_cases.payouts import payout_id_for
from tests.e2e.conftest import Live
from tests.support.money import cnh, tokens

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CAROL = Person("Carol Ng", dt.date(1988, 6, 1), "HK", "K2468024")
DAVE = Person("Dave Yip", dt.date(1991, 9, 9), "HK", "K1357913")


@dataclass
class Holders:
    carol: Holder
    dave: Holder


@pytest.fixture(scope="module")
async def holders(live: Live) -> Holders:
    carol, dave = await asyncio.gather(
        onboard(live.outside, live.watcher, CAROL), onboard(live.outside, live.watcher, DAVE)
    )
    for holder in (carol, dave):
        minted = await fund(live.outside, live.watcher, holder, cnh("5000.00"))
        assert isinstance(minted, Minted), minted
    return Holders(carol, dave)


async def test_an_account_in_the_holder_s_own_name_is_verified(holders: Holders) -> None:
    # onboarding registered each holder's account; KYC and the bank confirmed it
    assert holders.carol.account_decision == "verified"
    assert holders.dave.account_decision == "verified"


@pytest.mark.parametrize(
    ("holder_name", "ending", "reason"),
    [
        ("Mallory Chan", "-0000", "name_mismatch"),  # KYC: not the customer's name
        ("Carol Ng", "-0091", "bank_account_not_found"),  # the bank: no such account
        ("Carol Ng", "-0092", "bank_account_closed"),
        ("Carol Ng", "-0093", "bank_name_mismatch"),  # the bank holds it for someone else
    ],
)
async def test_an_account_is_refused_for_the_name_or_the_bank_s_answer(
    live: Live, holders: Holders, holder_name: str, ending: str, reason: str
) -> None:
    carol = holders.carol
    details = carol.bank_account.model_copy(
        update={"holder_name": holder_name, "account_number": f"HK-004-765432{ending}"}
    )
    account_id, decision = await register_account(live.outside, live.watcher, carol, details)
    assert decision == reason
    # the bank was asked only when the name was hers; a refused account is never payable
    # (settlement learns KYC's decision from kyc.events, a moment after the decision)
    expected = [] if reason == "name_mismatch" else ["refused"]
    await live.platform.query_until(
        "settlement",
        "SELECT state FROM bank_accounts WHERE account_id = $1",
        lambda rows: [r["state"] for r in rows] == expected,
        account_id,
        timeout_s=10,
    )


async def test_the_payout_goes_to_the_account_on_file(live: Live, holders: Holders) -> None:
    carol = holders.carol
    redemption = await redeem(live.outside, live.watcher, carol, tokens("100.00"), "CNH")
    assert isinstance(redemption.outcome, RedemptionCompleted), redemption.outcome
    # the bank was paid to the account on file (the order it holds under the payout's key)
    [ordered] = await live.platform.query(
        "bank",
        "SELECT request->'beneficiary' AS paid FROM payment_orders WHERE idempotency_key = $1",
        str(payout_id_for(redemption.redemption_id)),
    )
    paid = json.loads(ordered["paid"])
    assert paid["account_number"] == carol.bank_account.account_number
    assert paid["holder_name"] == carol.bank_account.holder_name
    [payout] = await live.platform.query(
        "settlement",
        "SELECT beneficiary_digest, beneficiary_account_id FROM payouts WHERE redemption_id = $1",
        redemption.redemption_id,
    )
    assert (payout["beneficiary_digest"], payout["beneficiary_account_id"]) == (
        None,
        carol.account_id,
    )


async def test_a_redemption_to_another_customer_s_account_is_refused_before_anything_is_held(
    live: Live, holders: Holders
) -> None:
    carol, dave = holders.carol, holders.dave
    # Dave redeems his own tokens, signed by his own wallet, to Carol's account; then Dave
    # names Carol's customer and wallet (published ids) with his own account as the
    # beneficiary, signed with his key (he has no other)
    to_carol = await redeem(
        live.outside, live.watcher, dave, tokens("50.00"), "CNH",
        beneficiary_account_id=carol.account_id,
    )  # fmt: skip
    as_carol = Holder(
        "Carol Ng", customer_id=carol.customer_id, wallet_id=carol.wallet_id,
        wallet=dave.wallet, account_id=dave.account_id,
    )  # fmt: skip
    from_carol = await redeem(live.outside, live.watcher, as_carol, tokens("50.00"), "CNH")
    for attempt, reason in (
        (to_carol, "beneficiary_not_theirs"),
        (from_carol, "signature_invalid"),
    ):
        assert isinstance(attempt.outcome, RedemptionFailed), attempt.outcome
        assert attempt.outcome.reason == reason
        await _nothing_but_the_eligibility_check(live, attempt.redemption_id)


async def test_a_redemption_to_an_account_nobody_registered_is_refused(
    live: Live, holders: Holders
) -> None:
    attempt = await redeem(
        live.outside, live.watcher, holders.dave, tokens("50.00"), "CNH",
        beneficiary_account_id=uuid.uuid4(),
    )  # fmt: skip
    assert isinstance(attempt.outcome, RedemptionFailed), attempt.outcome
    assert attempt.outcome.reason == "beneficiary_unknown"
    await _nothing_but_the_eligibility_check(live, attempt.redemption_id)


async def _nothing_but_the_eligibility_check(live: Live, redemption_id: uuid.UUID) -> None:
    """Refused at step 1: no reservation, no hold, no payout."""
    sent = await live.platform.query(
        "redemption",
        "SELECT detail FROM saga_log WHERE redemption_id = $1 AND event = 'command'",
        redemption_id,
    )
    assert [r["detail"] for r in sent] == ["kyc.check_eligibility"]
    held = await live.platform.query(
        "issuance", "SELECT 1 FROM holds WHERE redemption_id = $1", redemption_id
    )
    assert held == []
    [check] = await live.platform.query(
        "kyc", "SELECT outcome FROM eligibility_checks WHERE redemption_id = $1", redemption_id
    )
    assert check["outcome"] == "refused"
