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


@dataclass(frozen=True, slots=True)
class Booking:
    """What one submission under `key` would book: the order, its lines, its notices."""

    key: str
    request: OrderRequest
    order: Order
    lines: list[Line]
    notices: list[Due]


async def book(pool: Pool, bookings: list[Booking]) -> dict[str, Stored]:
    """Store each booking's order under its key with its lines and its notices, all in one
    transaction; a key already stored keeps its first order, which is returned instead (the
    caller compares the digests). Keys are taken in order, so two files naming the same
    keys wait for each other instead of deadlocking."""
    ordered = sorted({b.key: b for b in bookings}.values(), key=lambda b: b.key)
    async with pool.acquire() as connection, connection.transaction():
        inserted = {
            row["idempotency_key"]
            for row in await connection.fetch(
                """
                INSERT INTO payment_orders (order_id, idempotency_key, request_digest, request,
                                            bank_reference, behaviour, refused, settles_at,
                                            returns_at, created_at)
                SELECT o.id, o.key, o.digest, o.request::jsonb, o.reference, o.behaviour,
                       o.refused, o.settles_at, o.returns_at, o.created_at
                  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[],
                              $10::timestamptz[])
                    AS o(id, key, digest, request, reference, behaviour, refused, settles_at,
                         returns_at, created_at)
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING idempotency_key
                """,
                [b.order.order_id for b in ordered], [b.key for b in ordered],
                [b.request.digest() for b in ordered],
                [b.request.model_dump_json() for b in ordered],
                [b.order.bank_reference for b in ordered], [b.order.behaviour for b in ordered],
                [b.order.refused for b in ordered], [b.order.settles_at for b in ordered],
                [b.order.returns_at for b in ordered], [b.order.created_at for b in ordered],
            )
        }  # fmt: skip
        fresh = [b for b in ordered if b.key in inserted]
        # the first submissions under the other keys (perhaps committed while this one ran)
        stored = {
            row["idempotency_key"]: _stored(row)
            for row in await connection.fetch(
                f"SELECT idempotency_key, {_ORDER_COLUMNS} FROM payment_orders"
                " WHERE idempotency_key = ANY($1::text[])",
                [b.key for b in ordered if b.key not in inserted],
            )
        }
        await connection.executemany(
            """
            INSERT INTO statement_lines (order_id, bank_reference, end_to_end_id, direction,
                                         amount_minor, currency, description, booked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [
                (
                    b.order.order_id, line.bank_reference, b.request.end_to_end_id,
                    line.direction, b.request.amount_minor, b.request.currency,
                    line.description, line.booked_at,
                )
                for b in fresh
                for line in b.lines
            ],
        )  # fmt: skip
        await queue(connection, [notice for b in fresh for notice in b.notices])
    return stored | {b.key: Stored(b.order, b.request.digest(), b.request) for b in fresh}


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
