"""The bank's SQL: orders stored once per idempotency key, with their statement lines."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from services.runtime.db import Pool
from simulators.bank.orders import Line, Order, OrderRequest


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
    pool: Pool, key: str, request: OrderRequest, order: Order, lines: list[Line]
) -> Stored:
    """Store `order` under `key` with its lines, all or nothing; a key already stored keeps
    its first order, which is returned instead (the caller compares the digests)."""
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
    return Stored(order, request.digest(), request)


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
