"""The bank's SQL: orders stored once per idempotency key, with their statement lines and
the notices they will bring; statements of the lines booked; the messages due for delivery."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from schemas import Money
from schemas.settlement import StatementLine
from services.runtime.db import Connection, Pool
from simulators.bank.notices import Due, Period, next_period, statement_pages
from simulators.bank.orders import Line, Order, OrderRequest

_STATEMENT_LOCK = 0x6261_6E6B_5354_4D54  # "bankSTMT": one statement writer at a time


@dataclass(frozen=True, slots=True)
class Stored:
    order: Order
    request_digest: str
    request: OrderRequest


_ORDER_COLUMNS = (
    "order_id, bank_reference, behaviour, created_at, settles_at, returns_at, refused,"
    " request_digest, request"
)


def _stored(row: asyncpg.Record) -> Stored:
    order = Order(
        row["order_id"],
        row["bank_reference"],
        row["behaviour"],
        row["created_at"],
        row["settles_at"],
        row["returns_at"],
        row["refused"],
    )
    return Stored(order, row["request_digest"], OrderRequest.model_validate_json(row["request"]))


async def book(
    pool: Pool,
    key: str,
    request: OrderRequest,
    order: Order,
    lines: list[Line],
    notices: list[Due],
) -> Stored:
    """Store `order` under `key` with its lines and its notices, all or nothing; a key
    already stored keeps its first order, which is returned instead (the caller compares
    the digests)."""
    async with pool.acquire() as connection, connection.transaction():
        inserted = await connection.fetchval(
            """
            INSERT INTO payment_orders (order_id, idempotency_key, request_digest, request,
                                        bank_reference, behaviour, refused, settles_at,
                                        returns_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING order_id
            """,
            order.order_id, key, request.digest(), request.model_dump_json(),
            order.bank_reference, order.behaviour, order.refused, order.settles_at,
            order.returns_at, order.created_at,
        )  # fmt: skip
        if inserted is None:
            # the first submission under this key (perhaps committed while this one ran)
            row = await connection.fetchrow(
                f"SELECT {_ORDER_COLUMNS} FROM payment_orders WHERE idempotency_key = $1", key
            )
            assert row is not None
            return _stored(row)
        await connection.executemany(
            """
            INSERT INTO statement_lines (order_id, bank_reference, end_to_end_id, direction,
                                         amount_minor, currency, description, booked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [
                (
                    order.order_id, line.bank_reference, request.end_to_end_id, line.direction,
                    request.amount_minor, request.currency, line.description, line.booked_at,
                )
                for line in lines
            ],
        )  # fmt: skip
        await queue(connection, notices)
    return Stored(order, request.digest(), request)


async def queue(connection: Connection, messages: list[Due]) -> None:
    """Messages to deliver once due (a message id queued twice is queued once)."""
    await connection.executemany(
        """
        INSERT INTO deliveries (message_id, key, type, body, due_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING
        """,
        [
            (m.message_id, m.key, m.payload.TYPE, m.payload.model_dump_json(), m.due_at)
            for m in messages
        ],
    )


async def order_by_key(pool: Pool, key: str) -> Stored | None:
    row = await pool.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders WHERE idempotency_key = $1", key
    )
    return _stored(row) if row else None


async def order_of(pool: Pool, order_id: uuid.UUID) -> Stored | None:
    row = await pool.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders WHERE order_id = $1", order_id
    )
    return _stored(row) if row else None


async def statement(
    pool: Pool, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[asyncpg.Record]:
    """The lines booked in [start, end), as far as the bank has booked them by `now`."""
    return await pool.fetch(
        """
        SELECT l.bank_reference, l.end_to_end_id, l.direction, l.amount_minor, l.currency,
               l.description, l.booked_at, o.order_id
          FROM statement_lines l JOIN payment_orders o USING (order_id)
         WHERE l.booked_at >= $1 AND l.booked_at < $2 AND l.booked_at <= $3
         ORDER BY l.booked_at, l.line_id
        """,
        start,
        end,
        now,
    )


async def close_statement(
    pool: Pool, account: str, interval: dt.timedelta, now: dt.datetime
) -> Period:
    """The next statement of the issuer's account: every line booked by `now` and on no
    statement yet (a booking committed late is on the next one), queued for delivery
    with the statement, in one transaction."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _STATEMENT_LOCK)
        last = await connection.fetchrow(
            "SELECT statement_id, sequence, period_start, period_end FROM statements"
            " ORDER BY sequence DESC LIMIT 1"
        )
        previous = Period(last[0], last[1], last[2], last[3]) if last else None
        period = next_period(previous, now, interval)
        rows = await connection.fetch(
            """
            SELECT line_id, bank_reference, end_to_end_id, direction, amount_minor, currency,
                   description, booked_at
              FROM statement_lines
             WHERE statement_id IS NULL AND booked_at <= $1
             ORDER BY booked_at, line_id FOR UPDATE
            """,
            now,
        )
        lines = [
            StatementLine(
                bank_reference=r["bank_reference"],
                end_to_end_id=r["end_to_end_id"],
                direction=r["direction"],
                amount=Money(amount_minor=r["amount_minor"], currency=r["currency"]),
                booked_at=r["booked_at"],
                description=r["description"],
            )
            for r in rows
        ]
        await connection.execute(
            "INSERT INTO statements (statement_id, sequence, period_start, period_end)"
            " VALUES ($1, $2, $3, $4)",
            period.statement_id, period.sequence, period.start, period.end,
        )  # fmt: skip
        await connection.execute(
            "UPDATE statement_lines SET statement_id = $1 WHERE line_id = ANY($2::bigint[])",
            period.statement_id,
            [r["line_id"] for r in rows],
        )
        await queue(connection, statement_pages(period, account, lines))
    return period
