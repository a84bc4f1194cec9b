"""The saga's SQL: one row per redemption (the Saga model as JSON plus the columns the
watchdog and operators query), the step log, and quote requests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from services.redemption.domain.decide import Entry
from services.redemption.domain.state import Saga
from services.runtime.db import Connection


async def insert(connection: Connection, saga: Saga) -> bool:
    """Store a new saga; False when this redemption id exists already (a repeated request)."""
    request = saga.request
    status = await connection.execute(
        """
        INSERT INTO redemptions (redemption_id, customer_id, wallet_id, amount_minor,
                                 payout_currency, status, saga, deadline)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (redemption_id) DO NOTHING
        """,
        request.redemption_id,
        request.customer_id,
        request.wallet_id,
        request.amount.amount_minor,
        request.payout_currency,
        saga.status.value,
        saga.model_dump_json(),
        saga.deadline,
    )
    return bool(status.endswith(" 1"))


async def lock(connection: Connection, redemption_id: uuid.UUID) -> Saga | None:
    row = await connection.fetchrow(
        "SELECT saga FROM redemptions WHERE redemption_id = $1 FOR UPDATE", redemption_id
    )
    return None if row is None else Saga.model_validate_json(row["saga"])


async def lock_due(connection: Connection, now: dt.datetime, limit: int) -> list[Saga]:
    """Running sagas whose deadline passed; replicas skip each other's rows."""
    rows = await connection.fetch(
        """
        SELECT saga FROM redemptions
         WHERE status NOT IN ('COMPLETED', 'FAILED', 'NEEDS_REVIEW') AND deadline <= $1
         ORDER BY deadline
         LIMIT $2
           FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )
    return [Saga.model_validate_json(row["saga"]) for row in rows]


async def save(connection: Connection, saga: Saga, outcome: bytes | None, now: dt.datetime) -> None:
    await connection.execute(
        """
        UPDATE redemptions
           SET status = $2, saga = $3, deadline = $4, updated_at = $5,
               outcome = coalesce($6, outcome),
               ended_at = CASE WHEN $7 THEN $5 ELSE ended_at END
         WHERE redemption_id = $1
        """,
        saga.request.redemption_id,
        saga.status.value,
        saga.model_dump_json(),
        saga.deadline,
        now,
        outcome,
        saga.terminal,
    )


async def outcome_of(connection: Connection, redemption_id: uuid.UUID) -> bytes | None:
    value: bytes | None = await connection.fetchval(
        "SELECT outcome FROM redemptions WHERE redemption_id = $1", redemption_id
    )
    return value


async def log(
    connection: Connection, redemption_id: uuid.UUID, entries: Sequence[Entry], now: dt.datetime
) -> None:
    if entries:
        await connection.executemany(
            """
            INSERT INTO saga_log (redemption_id, at, event, step, detail, message_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [(redemption_id, now, e.event, e.step, e.detail, e.message_id) for e in entries],
        )


# --- quotes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRequest:
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount_minor: int
    payout_currency: str
    quote_id: uuid.UUID | None
    status: str
    outcome: bytes | None


async def insert_quote_request(
    connection: Connection,
    redemption_id: uuid.UUID,
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID,
    amount_minor: int,
    payout_currency: str,
) -> bool:
    status = await connection.execute(
        """
        INSERT INTO quotes (redemption_id, customer_id, wallet_id, amount_minor,
                            payout_currency, status)
        VALUES ($1, $2, $3, $4, $5, 'requested')
        ON CONFLICT (redemption_id) DO NOTHING
        """,
        redemption_id,
        customer_id,
        wallet_id,
        amount_minor,
        payout_currency,
    )
    return bool(status.endswith(" 1"))


async def quote_request(connection: Connection, redemption_id: uuid.UUID) -> QuoteRequest | None:
    row = await connection.fetchrow(
        """
        SELECT redemption_id, customer_id, wallet_id, amount_minor, payout_currency, quote_id,
               status, outcome
          FROM quotes WHERE redemption_id = $1 FOR UPDATE
        """,
        redemption_id,
    )
    return None if row is None else QuoteRequest(**dict(row))


async def settle_quote(
    connection: Connection,
    redemption_id: uuid.UUID,
    quote_id: uuid.UUID | None,
    status: str,
    outcome: bytes,
) -> None:
    await connection.execute(
        "UPDATE quotes SET quote_id = $2, status = $3, outcome = $4 WHERE redemption_id = $1",
        redemption_id,
        quote_id,
        status,
        outcome,
    )


# --- reading, for operators ----------------------------------------------------------------


async def timeline(connection: Connection, redemption_id: uuid.UUID) -> list[dict[str, object]]:
    rows = await connection.fetch(
        """
        SELECT at, event, step, detail, message_id FROM saga_log
         WHERE redemption_id = $1 ORDER BY id
        """,
        redemption_id,
    )
    return [dict(row) for row in rows]


async def summary(connection: Connection, redemption_id: uuid.UUID) -> dict[str, object] | None:
    row = await connection.fetchrow(
        """
        SELECT redemption_id, status, payout_currency, amount_minor, requested_at, ended_at, saga
          FROM redemptions WHERE redemption_id = $1
        """,
        redemption_id,
    )
    return None if row is None else dict(row)
