"""Real network faults between settlement and the bank (two processes, HTTP between them),
injected through the bank's /admin/faults or by killing a process: whatever happens, every
payout ends once, the bank books each at most once, and no notice is applied twice.

Here a payout without an answer is asked about after half a second, and reconciliation's
grace is long, so that what resolves it is the status query (and its resubmission), the
bank's notice or its statement, never "not executed"."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from schemas import Envelope
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutReturned,
    PayoutSent,
    PayoutSettled,
    PayoutSettledNotice,
)
from services.settlement.use_cases.payouts import payout_id_for
from tests.integration.settlement.conftest import FAST_BANK, Settlement, of_type
from tests.support.bank import BankProcess
from tests.support.environment import Environment
from tests.support.money import money
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

PATIENT = {
    **FAST_BANK,
    "CNH_SETTLEMENT_UNKNOWN_GRACE_S": "60",
    "CNH_SETTLEMENT_BANK_STATUS_AFTER_S": "0.5",
}


@pytest.fixture
async def patient(platform: Environment) -> Settlement:
    await platform.start("settlement", **PATIENT)
    return Settlement(platform)


def bank_of(settlement: Settlement) -> BankProcess:
    assert settlement.platform.bank is not None
    return settlement.platform.bank


def replied(redemption_id: uuid.UUID) -> Callable[[list[Envelope[Any]]], bool]:
    return lambda replies: any(r.payload.redemption_id == redemption_id for r in replies)


async def reply_to(settlement: Settlement, redemption_id: uuid.UUID) -> Any:
    replies = await settlement.replies(replied(redemption_id))
    (reply,) = [r.payload for r in replies if r.payload.redemption_id == redemption_id]
    return reply


async def settled_once(settlement: Settlement, *redemption_ids: uuid.UUID) -> None:
    """Each payout settled, by one PayoutSettled; the bank booked one order (one debit) for
    it; no notice applied twice."""
    wanted = set(redemption_ids)
    await settlement.wait_rows(
        "SELECT redemption_id FROM payouts WHERE state = 'settled'",
        lambda rows: wanted <= {r["redemption_id"] for r in rows},
    )
    events = await settlement.events(
        lambda es: wanted <= {e.redemption_id for e in of_type(es, PayoutSettled)}
    )
    settled = Counter(e.redemption_id for e in of_type(events, PayoutSettled))
    assert {r: settled[r] for r in wanted} == dict.fromkeys(wanted, 1)
    await paid_once(settlement, *redemption_ids)


async def paid_once(settlement: Settlement, *redemption_ids: uuid.UUID) -> None:
    payouts = [str(payout_id_for(r)) for r in redemption_ids]
    orders = await settlement.platform.query(
        "bank",
        "SELECT request->>'end_to_end_id' AS e2e, count(*) AS n FROM payment_orders"
        " WHERE request->>'end_to_end_id' = ANY($1::text[]) GROUP BY 1",
        payouts,
    )
    assert {r["e2e"]: r["n"] for r in orders} == dict.fromkeys(payouts, 1)
    debits = await settlement.platform.query(
        "bank",
        "SELECT end_to_end_id::text AS e2e, count(*) AS n FROM statement_lines"
        " WHERE direction = 'debit' AND end_to_end_id::text = ANY($1::text[]) GROUP BY 1",
        payouts,
    )
    assert {r["e2e"]: r["n"] for r in debits} == dict.fromkeys(payouts, 1)
    applied = await settlement.platform.query(
        "settlement",
        "SELECT end_to_end_id, kind, count(*) AS n FROM bank_notices"
        " WHERE outcome = 'apply' GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert applied == [], "a notice applied twice"


@pytest.mark.parametrize(
    ("fault", "account"),
    [
        # booked at once, answered after settlement gave up (its deadline: 1 s): the
        # bank's notice settles it
        ({"delay_next_s": 3}, "012-444444-1000"),
        # the call fails before the bank does anything, nothing is booked: the status query
        # finds no order, and it is submitted again under the same key (the bank's one
        # order is that submission)
        ({"fail_next": 1, "status": 503}, "012-444444-1001"),
        # booked, its answer lost on the way: the status query finds the order, which is
        # not submitted again; its notice settles it
        ({"drop_response_after_booking": 1}, "012-444444-1002"),
    ],
    ids=["answer-past-the-deadline", "5xx", "answer-dropped"],
)
async def test_a_payout_the_bank_did_not_answer_is_settled_once(
    patient: Settlement, fault: dict[str, Any], account: str
) -> None:
    redemption_id = uuid.uuid4()
    customer_id, account_id = await patient.verified_account(account)
    await bank_of(patient).fault(**fault)
    await patient.payout_to(redemption_id, money(21_00, "HKD"), customer_id, account_id)

    assert isinstance(await reply_to(patient, redemption_id), PayoutOutcomeUnknown)
    await settled_once(patient, redemption_id)


async def test_a_duplicate_submission_after_a_settlement_crash_pays_once(
    platform: Environment,
) -> None:
    patience = {**PATIENT, "CNH_SETTLEMENT_BANK_TIMEOUT_S": "30"}
    process = await platform.start("settlement", **patience)
    settlement = Settlement(platform)
    redemption_id = uuid.uuid4()
    customer_id, account_id = await settlement.verified_account("012-444444-1003")
    # the bank books the order and holds its answer; settlement dies waiting for it, before
    # its transaction commits, so the command comes again and the order is submitted again
    await bank_of(settlement).fault(delay_next_s=60)
    await settlement.payout_to(redemption_id, money(24_00, "HKD"), customer_id, account_id)
    await platform.query_until("bank", "SELECT 1 FROM payment_orders", bool)
    process.kill()
    assert await settlement.platform.query("settlement", "SELECT * FROM payouts") == []
    process.start()

    reply = await reply_to(settlement, redemption_id)
    assert isinstance(reply, PayoutSent), reply  # the order the bank booked, answered now
    await settled_once(settlement, redemption_id)


async def test_a_bank_killed_mid_flow_and_restarted(patient: Settlement) -> None:
    """Orders with notices still due when the bank dies (-9), and an order submitted while
    it is down: after its restart every payout ends once, nothing is paid or applied twice."""
    accounts = {
        "fps": "012-555555-0000",
        "late": "012-555555-0004",  # settles 2 s later
        "returned": "012-555555-0005",  # settled, returned 1 s later
        "while_down": "012-555555-1000",
    }
    on_file = {name: await patient.verified_account(number) for name, number in accounts.items()}
    ids = {name: uuid.uuid4() for name in accounts}
    for name in ("fps", "late", "returned"):
        await patient.payout_to(ids[name], money(30_00, "HKD"), *on_file[name])
    for name in ("fps", "late", "returned"):
        assert isinstance(await reply_to(patient, ids[name]), PayoutSent), name

    bank = bank_of(patient)
    bank.process.kill()
    await patient.payout_to(ids["while_down"], money(31_00, "HKD"), *on_file["while_down"])
    assert isinstance(await reply_to(patient, ids["while_down"]), PayoutOutcomeUnknown)
    await asyncio.sleep(1.5)  # the late notice falls due while the bank is down
    await bank.start()

    await settled_once(patient, ids["fps"], ids["late"], ids["while_down"])
    events = await patient.events(lambda es: bool(of_type(es, PayoutReturned)))
    assert [e.redemption_id for e in of_type(events, PayoutReturned)] == [ids["returned"]]
    await paid_once(patient, ids["returned"])
    undelivered = await patient.platform.query(
        "bank",
        "SELECT count(*) AS n FROM deliveries"
        " WHERE delivered_at IS NULL AND due_at < now() - interval '2 seconds'",
    )
    assert undelivered[0]["n"] == 0


async def test_a_notice_sent_again_after_a_bank_restart_is_dropped_by_the_inbox(
    patient: Settlement,
) -> None:
    redemption_id = uuid.uuid4()
    on_file = await patient.verified_account("012-666666-1000")
    await patient.payout_to(redemption_id, money(40_00, "HKD"), *on_file)
    await settled_once(patient, redemption_id)
    # the bank dies after publishing its notice and before marking it delivered
    bank = bank_of(patient)
    bank.process.kill()
    marked = await patient.platform.query(
        "bank",
        "UPDATE deliveries SET delivered_at = NULL WHERE type = $1 RETURNING message_id",
        PayoutSettledNotice.TYPE,
    )
    (message_id,) = [str(r["message_id"]) for r in marked]
    await bank.start()

    def copies(records: list[ConsumerRecord]) -> int:
        return sum(json.loads(r.value)["message_id"] == message_id for r in records)

    await patient.platform.read("settlement.bank-notifications", lambda rs: copies(rs) == 2)
    (service,) = [p for p in patient.platform.processes if p.module == "services.settlement"]
    await eventually(
        lambda: asyncio.to_thread(service.log_path.read_text),
        lambda log: "duplicate message; no second effect" in log,
        what="settlement's inbox meeting the copy",
    )
    stored = await patient.platform.query(
        "settlement",
        "SELECT count(*) AS n FROM bank_notices WHERE end_to_end_id = $1",
        payout_id_for(redemption_id),
    )
    assert stored[0]["n"] == 1
    await settled_once(patient, redemption_id)
