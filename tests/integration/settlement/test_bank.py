"""The simulated bank's bulk submission (one statement, one commit for a batch's payment
orders): each order gets the answer its account's behaviour gives, and an order it has
seen, in the same file or a later one, gets its first answer and books nothing again."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from schemas import Money
from schemas.settlement import BankAccount
from services.settlement.bank.port import Accepted, NoAnswer, PaymentOrder, Refused
from services.settlement.bank.simulator import SimulatedBank
from services.settlement.settings import SettlementSettings
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


def order(account_number: str, amount_minor: int = 10_00) -> PaymentOrder:
    beneficiary = BankAccount(
        holder_name="Chan Tai Man", bank_code="004", account_number=account_number, country="HK"
    )
    money = Money(amount_minor=amount_minor, currency="HKD")
    return PaymentOrder(uuid.uuid4(), money, beneficiary, "FPS", "REDEMPTION test")


async def test_a_bulk_submission_answers_each_order_once(platform: Environment) -> None:
    dsn = await platform.database("settlement")
    bank = SimulatedBank(SettlementSettings(service="settlement", database_url=dsn))
    settles, refused, silent = (
        order("012-333333-0000"),
        order("012-333333-0001"),
        order("012-333333-0003"),
    )
    try:
        first = await bank.submit_all([settles, refused, silent, settles])
        again = await bank.submit_all([silent, settles, refused])
    finally:
        await bank.close()

    assert isinstance(first[settles.instruction_id], Accepted)
    assert isinstance(first[refused.instruction_id], Refused)
    assert first[refused.instruction_id].reason == "invalid_account"  # type: ignore[union-attr]
    assert isinstance(first[silent.instruction_id], NoAnswer)
    assert again == first, "an order seen before gets its first answer"
    connection = await asyncpg.connect(dsn)
    try:
        counts = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM bank_sim.payments) AS payments,
                   (SELECT count(*) FROM bank_sim.bookings) AS bookings,
                   (SELECT count(*) FROM bank_sim.messages) AS notices
            """
        )
    finally:
        await connection.close()
    # settles: booked and a settlement notice; refused: nothing; no answer but executed:
    # booked (the statement will show it), no notice
    assert counts is not None
    assert dict(counts) == {"payments": 3, "bookings": 2, "notices": 1}
