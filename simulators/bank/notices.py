"""What the bank says of its orders afterwards, and its statements, as messages for
settlement.bank-notifications: pure; repository.py queues them, delivery.py sends them.

Every message has a stable id (an order's notice: its order id and status; a statement
page: its statement id and page), so a copy sent again after a restart is dropped by
settlement's inbox.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from schemas import Message, Money, derive_id
from schemas.settlement import (
    MAX_STATEMENT_LINES,
    BankStatement,
    PayoutRejectedNotice,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    StatementLine,
)
from simulators.bank.orders import Line, Order, OrderRequest

_STATEMENTS = uuid.UUID("5b1f0e52-7c1a-4f0b-9f7e-0d3c2b1a4e5f")


@dataclass(frozen=True, slots=True)
class Due:
    """A message the bank sends at `due_at`, under Kafka key `key`."""

    message_id: uuid.UUID
    key: str
    payload: Message
    due_at: dt.datetime


def notices_of(order: Order, request: OrderRequest, lines: list[Line]) -> list[Due]:
    """The notices of an order, each due when the bank's rail says: settled (or refused by
    the beneficiary's bank) when it settles, returned when it comes back. A refused order
    was answered at once; the sandbox's timeouts say nothing (only the statement shows
    what the bank did); an order without the payer's end-to-end id names nothing the payer
    could match."""
    e2e = request.end_to_end_id
    if e2e is None or order.settles_at is None or not order.answered:
        return []
    amount = Money(amount_minor=request.amount_minor, currency=request.currency)
    reference = order.bank_reference

    def due(status: str, payload: Message, at: dt.datetime) -> Due:
        # keyed by the payment's reference: the notices of one payment stay in order
        return Due(derive_id(order.order_id, status), reference, payload, at)

    if order.behaviour == "beneficiary_rejects":
        rejected = PayoutRejectedNotice(
            bank_reference=reference,
            end_to_end_id=e2e,
            reason="beneficiary_bank_rejected",
            detail="the beneficiary's bank refused the credit",
            rejected_at=order.settles_at,
        )
        return [due("rejected", rejected, order.settles_at)]
    settled = PayoutSettledNotice(
        bank_reference=reference, end_to_end_id=e2e, amount=amount, settled_at=order.settles_at
    )
    said = [due("settled", settled, order.settles_at)]
    credits = [line for line in lines if line.direction == "credit"]
    if order.returns_at is not None and credits:
        returned = PayoutReturnedNotice(
            bank_reference=credits[0].bank_reference,
            original_bank_reference=reference,
            end_to_end_id=e2e,
            amount=amount,
            reason="account_closed_after_credit",
            returned_at=order.returns_at,
        )
        said.append(due("returned", returned, order.returns_at))
    return said


@dataclass(frozen=True, slots=True)
class Period:
    statement_id: str
    sequence: int
    start: dt.datetime
    end: dt.datetime


def next_period(last: Period | None, end: dt.datetime, interval: dt.timedelta) -> Period:
    """The statement after `last` (numbered without gaps), up to `end`."""
    statement_id = "STMT-" + end.strftime("%Y%m%dT%H%M%S%f")
    if last is None:
        return Period(statement_id, 1, end - interval, end)
    return Period(statement_id, last.sequence + 1, last.end, end)


def statement_pages(period: Period, account: str, lines: list[StatementLine]) -> list[Due]:
    """The statement's pages of at most MAX_STATEMENT_LINES lines (one empty page if none)."""
    pages = max(1, math.ceil(len(lines) / MAX_STATEMENT_LINES))
    return [
        Due(
            derive_id(_STATEMENTS, period.statement_id, str(page + 1)),
            account,  # keyed by the account: statements arrive in order, on one partition
            BankStatement(
                statement_id=period.statement_id,
                sequence=period.sequence,
                account_number=account,
                period_start=period.start,
                period_end=period.end,
                page=page + 1,
                pages=pages,
                lines=tuple(lines[page * MAX_STATEMENT_LINES : (page + 1) * MAX_STATEMENT_LINES]),
            ),
            period.end,
        )
        for page in range(pages)
    ]
