"""The bank's notices and statement pages (simulators/bank/notices.py): when each is due,
and ids that stay the same however often they are built."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas import Money
from schemas.settlement import (
    MAX_STATEMENT_LINES,
    PayoutRejectedNotice,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    StatementLine,
)
from simulators.bank.notices import next_period, notices_of, statement_pages
from simulators.bank.orders import lines_of, new_order
from tests.unit.bank.test_orders import DELAYS, T0, at, request


def notices(account: str, **fields: object) -> list[tuple[type, dt.datetime]]:
    body = request(account, end_to_end_id=uuid.uuid4(), **fields)
    order = new_order(body, T0, DELAYS)
    return [(type(d.payload), d.due_at) for d in notices_of(order, body, lines_of(order, body))]


def test_a_settled_order_is_noticed_when_it_settles() -> None:
    assert notices("012-345678-9999", rail="CHATS") == [(PayoutSettledNotice, at(2))]


def test_a_returned_order_is_noticed_twice() -> None:
    assert notices("012-345678-0005") == [
        (PayoutSettledNotice, at(0)),
        (PayoutReturnedNotice, at(300)),
    ]


def test_the_beneficiary_bank_s_refusal_is_noticed() -> None:
    assert notices("012-345678-0007", rail="CHATS") == [(PayoutRejectedNotice, at(2))]


def test_refused_and_unanswered_orders_bring_no_notice() -> None:
    assert notices("012-345678-0001") == []  # answered at once
    assert notices("012-345678-0003") == []  # only the statement shows it


def test_an_order_without_end_to_end_id_brings_no_notice() -> None:
    body = request()
    order = new_order(body, T0, DELAYS)
    assert notices_of(order, body, lines_of(order, body)) == []


def test_a_notice_s_id_is_its_order_s_and_status_s() -> None:
    body = request("012-345678-0005", end_to_end_id=uuid.uuid4())
    order = new_order(body, T0, DELAYS)
    first = notices_of(order, body, lines_of(order, body))
    again = notices_of(order, body, lines_of(order, body))
    assert [n.message_id for n in first] == [n.message_id for n in again]
    assert len({n.message_id for n in first}) == 2


def test_statements_are_numbered_without_gaps_and_paged() -> None:
    interval = dt.timedelta(seconds=60)
    first = next_period(None, at(60), interval)
    second = next_period(first, at(120), interval)
    assert (first.sequence, first.start, second.sequence, second.start) == (1, at(0), 2, at(60))
    line = StatementLine(
        bank_reference="FPS-1",
        end_to_end_id=None,
        direction="debit",
        amount=Money(amount_minor=1, currency="HKD"),
        booked_at=at(100),
        description="payment",
    )
    pages = statement_pages(second, "HK-RESERVE-CNH-0001", [line] * (MAX_STATEMENT_LINES + 1))
    assert [p.payload.page for p in pages] == [1, 2]  # type: ignore[attr-defined]
    assert len({p.message_id for p in pages}) == 2
    assert statement_pages(second, "HK-RESERVE-CNH-0001", [line])[0].message_id == (
        pages[0].message_id
    )
    assert len(statement_pages(first, "HK-RESERVE-CNH-0001", [])) == 1  # an empty statement
