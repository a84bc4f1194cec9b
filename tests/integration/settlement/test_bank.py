"""Settlement's adapter to the bank's HTTP API (services/settlement/adapters/bank/http_bank.py)
against the real bank process: a bulk submission answers each order once, an order seen
before gets its first answer (one it booked without answering, an answer now) and books
nothing again, and a bank that does not answer is a
NoAnswer for an order and a transient error for a query."""

from __future__ import annotations

import uuid

import pytest

from schemas import Money
from schemas.settlement import BankAccount
from services.runtime.retry import TransientError
from services.settlement.adapters.bank.http_bank import HttpBank
from services.settlement.adapters.bank.port import Accepted, NoAnswer, PaymentOrder, Refused
from tests.support.environment import Environment
from tests.support.gate import free_port

pytestmark = pytest.mark.integration


def order(account_number: str, amount_minor: int = 10_00) -> PaymentOrder:
    beneficiary = BankAccount(
        holder_name="Chan Tai Man", bank_code="004", account_number=account_number, country="HK"
    )
    money = Money(amount_minor=amount_minor, currency="HKD")
    return PaymentOrder(uuid.uuid4(), money, beneficiary, "FPS", "REDEMPTION test")


def rail(platform: Environment, url: str) -> HttpBank:
    return HttpBank.of_folder(url, platform.servers.secrets_root / "settlement", timeout_s=1.0)


async def test_a_bulk_submission_answers_each_order_once(platform: Environment) -> None:
    bank = rail(platform, (await platform.start_bank()).url)
    settles, refused, silent = (
        order("012-333333-0000"),
        order("012-333333-0001"),
        order("012-333333-0003"),
    )
    try:
        first = await bank.submit_all([settles, refused, silent, settles])
        again = await bank.submit_all([silent, settles, refused])
        known = await bank.status(settles.instruction_id)
        unknown = await bank.status(uuid.uuid4())
    finally:
        await bank.close()

    assert isinstance(first[settles.instruction_id], Accepted)
    assert isinstance(first[refused.instruction_id], Refused)
    assert first[refused.instruction_id].reason == "invalid_account"  # type: ignore[union-attr]
    assert isinstance(first[silent.instruction_id], NoAnswer)
    for seen in (settles, refused):
        assert again[seen.instruction_id] == first[seen.instruction_id], "its first answer"
    # the order it booked without answering: answered now, booked once
    assert isinstance(again[silent.instruction_id], Accepted)
    assert known is not None
    assert known.state == "settled"  # FPS settles at once
    assert known.bank_reference == first[settles.instruction_id].bank_reference  # type: ignore[union-attr]
    assert unknown is None
    (counts,) = await platform.query(
        "bank",
        """
        SELECT (SELECT count(*) FROM payment_orders) AS orders,
               (SELECT count(*) FROM statement_lines) AS lines,
               (SELECT count(*) FROM deliveries WHERE type <> 'settlement.bank_statement')
                   AS notices
        """,
    )
    # settles: booked and a settlement notice; refused: nothing booked; no answer but
    # executed: booked (the statement will show it), no notice
    assert dict(counts) == {"orders": 3, "lines": 2, "notices": 1}


async def test_a_bank_that_does_not_answer(platform: Environment) -> None:
    bank = rail(platform, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    try:
        assert isinstance(await bank.submit(order("012-333333-0000")), NoAnswer)
        with pytest.raises(TransientError):
            await bank.status(uuid.uuid4())
        with pytest.raises(TransientError):
            await bank.check_account(order("012-333333-0000").beneficiary)
    finally:
        await bank.close()


async def test_a_5xx_is_no_answer_for_an_order_and_transient_for_a_check(
    platform: Environment,
) -> None:
    process = await platform.start_bank()
    bank = rail(platform, process.url)
    try:
        await process.fault(fail_next=2, status=503)
        assert isinstance(await bank.submit(order("012-333333-0000")), NoAnswer)
        with pytest.raises(TransientError):
            await bank.check_account(order("012-333333-0000").beneficiary)
        assert await bank.check_account(order("012-333333-0093").beneficiary) == "mismatch"
    finally:
        await bank.close()
