"""Payouts through every behaviour of the simulated rails, one payout per redemption, status
queries, reconciliation from the bank's statement, and returns as new cases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from schemas import Envelope, Money
from schemas.settlement import (
    PayoutFailed,
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutReturned,
    PayoutSent,
    PayoutSettled,
    PayoutSettledNotice,
    PayoutStatus,
)
from services.settlement.domain.calendar import redemption_deadline
from services.settlement.use_cases.payouts import payout_id_for
from tests.integration.settlement.conftest import Settlement, of_type
from tests.support.money import cnh, money

pytestmark = pytest.mark.integration


CASES = {
    # name: (account number, amount, country)
    "fps": ("012-111111-0000", money(100_00, "HKD"), "HK"),
    "chats_usd": ("012-222222-0000", Money(amount_minor=50_00, currency="USD"), "HK"),
    "swift_eur": ("DE-89370400440532013000", Money(amount_minor=30_00, currency="EUR"), "DE"),
    "invalid": ("012-333333-0001", money(10_00, "HKD"), "HK"),
    "closed": ("012-333333-0002", money(11_00, "HKD"), "HK"),
    "timeout_executed": ("012-333333-0003", money(12_00, "HKD"), "HK"),
    "late": ("012-333333-0004", money(13_00, "HKD"), "HK"),
    "returned": ("012-333333-0005", money(14_00, "HKD"), "HK"),
    "timeout_lost": ("012-333333-0006", money(15_00, "HKD"), "HK"),
    "beneficiary_rejects": ("012-333333-0007", money(16_00, "HKD"), "HK"),
    "token": ("012-333333-0000", Money(amount_minor=1, currency="XCNH"), "HK"),
}


async def test_every_rail_behaviour_reaches_its_outcome(settlement: Settlement) -> None:
    ids = {name: uuid.uuid4() for name in CASES}
    for name, (account, amount, country) in CASES.items():
        await settlement.send_payout(ids[name], amount, account, par=cnh(99_00), country=country)
    replies = await settlement.replies(lambda rs: len(rs) >= len(CASES))
    by_redemption = {r.payload.redemption_id: r.payload for r in replies}
    reply = {name: by_redemption[ids[name]] for name in CASES}

    for name in ("fps", "chats_usd", "swift_eur", "late", "returned", "beneficiary_rejects"):
        assert isinstance(reply[name], PayoutSent), name
    assert (reply["fps"].rail, reply["chats_usd"].rail, reply["swift_eur"].rail) == (
        "FPS",
        "CHATS",
        "SWIFT",
    )
    assert isinstance(reply["invalid"], PayoutRejected)
    assert reply["invalid"].reason == ("invalid_account")
    assert isinstance(reply["closed"], PayoutRejected)
    assert reply["closed"].reason == ("closed_account")
    assert isinstance(reply["token"], PayoutRejected)
    assert reply["token"].reason == ("unsupported_currency")
    for name in ("timeout_executed", "timeout_lost"):
        assert isinstance(reply[name], PayoutOutcomeUnknown), name

    def outcome(events: list[Envelope[Any]]) -> dict[uuid.UUID, list[str]]:
        seen: dict[uuid.UUID, list[str]] = {}
        for e in events:
            seen.setdefault(e.payload.redemption_id, []).append(type(e.payload).__name__)
        return seen

    expected = {
        "fps": ["PayoutSettled"],
        "chats_usd": ["PayoutSettled"],
        "swift_eur": ["PayoutSettled"],
        "timeout_executed": ["PayoutSettled"],  # found on the statement by reconciliation
        "late": ["PayoutSettled"],
        "returned": ["PayoutSettled", "PayoutReturned"],
        "timeout_lost": ["PayoutFailed"],  # absent from statements after the grace period
        "beneficiary_rejects": ["PayoutFailed"],
    }

    def complete(events: list[Envelope[Any]]) -> bool:
        seen = outcome(events)
        return all(seen.get(ids[name]) == kinds for name, kinds in expected.items())

    events = await settlement.events(complete)
    failed = {e.redemption_id: e.reason for e in of_type(events, PayoutFailed)}
    assert failed == {
        ids["timeout_lost"]: "not_executed",
        ids["beneficiary_rejects"]: "beneficiary_bank_rejected",
    }
    [returned] = of_type(events, PayoutReturned)
    assert returned.amount == money(14_00, "HKD")
    assert returned.case_id != returned.payout_id
    settled = {e.redemption_id: e for e in of_type(events, PayoutSettled)}
    assert settled[ids["late"]].settled_at > settled[ids["fps"]].settled_at

    # the saga asks: every state is answerable, an unknown redemption too
    stranger = uuid.uuid4()
    for name in ("timeout_executed", "returned", "invalid", "beneficiary_rejects"):
        await settlement.query(ids[name])
    await settlement.query(stranger)
    replies = await settlement.replies(lambda rs: len(of_type(rs, PayoutStatus)) >= 5)
    states = {s.redemption_id: s.state for s in of_type(replies, PayoutStatus)}
    assert states == {
        ids["timeout_executed"]: "settled",
        ids["returned"]: "returned",
        ids["invalid"]: "rejected",
        ids["beneficiary_rejects"]: "rejected",
        stranger: "not_found",
    }

    # the return is a new case: history kept, the money in suspense
    rows = await settlement.platform.query(
        "settlement",
        "SELECT template FROM journal_entries WHERE payout_id = $1 ORDER BY seq",
        payout_id_for(ids["returned"]),
    )
    assert [r["template"] for r in rows] == ["payout_ordered", "payout_settled", "payout_returned"]
    assert await settlement.balance("suspense:HKD") == 14_00
    # failed payouts are reversed by new entries; rejected ones never booked anything
    assert await settlement.balance("customer_payable:HKD") == 0
    assert await settlement.trial_balance() == {"CNH": 0, "HKD": 0, "USD": 0, "EUR": 0}


async def test_one_payout_per_redemption_and_duplicate_bank_notices(
    settlement: Settlement,
) -> None:
    redemption_id = uuid.uuid4()
    # the saga re-sends under a new command id: one payout. This redemption started ten
    # days ago, so it misses the one-business-day target and the report says so.
    started = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    await settlement.send_payout(redemption_id, cnh(88_00), "012-444444-0000", at=started)
    await settlement.send_payout(redemption_id, cnh(88_00), "012-444444-0000")
    replies = await settlement.replies(lambda rs: len(rs) >= 2)
    assert {type(r.payload) for r in replies} == {PayoutSent}
    assert len({r.payload.bank_reference for r in replies}) == 1
    events = await settlement.events(lambda es: bool(of_type(es, PayoutSettled)))
    [settled] = of_type(events, PayoutSettled)

    # the bank repeats its settlement notice under a new message id: no second effect
    payout_id = payout_id_for(redemption_id)
    await settlement.bank_sends(
        PayoutSettledNotice(
            bank_reference=replies[0].payload.bank_reference,
            end_to_end_id=payout_id,
            amount=cnh(88_00),
            settled_at=settled.settled_at,
        )
    )
    await settlement.wait_rows(
        "SELECT count(*) AS n FROM bank_notices WHERE applied_at IS NOT NULL",
        lambda rows: rows[0]["n"] == 2,
    )
    outcomes = await settlement.platform.query(
        "settlement", "SELECT outcome FROM bank_notices ORDER BY received_at"
    )
    assert [r["outcome"] for r in outcomes] == ["apply", "duplicate"]
    events = await settlement.events(lambda es: bool(of_type(es, PayoutSettled)))
    assert len(of_type(events, PayoutSettled)) == 1
    counts = await settlement.platform.query(
        "settlement",
        """
        SELECT (SELECT count(*) FROM payouts) AS payouts,
               (SELECT count(*) FROM journal_entries WHERE payout_id = $1) AS entries
        """,
        payout_id,
    )
    assert dict(counts[0]) == {"payouts": 1, "entries": 2}
    orders = await settlement.platform.query("bank", "SELECT count(*) AS n FROM payment_orders")
    assert orders[0]["n"] == 1

    code, report, err = await settlement.cli("attest")
    assert code == 0, err
    deadline = redemption_deadline(started).isoformat()
    assert f"[payout_late] {redemption_id} 88.00 CNH" in report, report
    assert f"target {deadline} missed (settled" in report, report
