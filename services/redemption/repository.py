"""The saga's SQL: one row per redemption (the Saga model as JSON plus the columns the
watchdog and operators query), the step log, and quote requests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from services.redemption.domain.decide import Entry
from services.redemption.domain.state import Saga
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


async def insert(connection: Connection, saga: Saga, signature: str | None) -> bool:
    """Store a new saga, claiming the request's `signature` for it (None: claims none);
    False when this redemption id exists already (a repeated request) or another
    redemption claimed the signature meanwhile."""
    request = saga.request
    status = await connection.execute(
        """
        INSERT INTO redemptions (redemption_id, customer_id, wallet_id, amount_minor,
                                 payout_currency, status, saga, deadline, signature)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT DO NOTHING
        """,
        request.redemption_id,
        request.customer_id,
        request.wallet_id,
        request.amount.amount_minor,
        request.payout_currency,
        saga.status.value,
        saga.model_dump_json(),
        saga.deadline,
        signature,
    )
    return bool(status.endswith(" 1"))


async def exists(connection: Connection, redemption_id: uuid.UUID) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT true FROM redemptions WHERE redemption_id = $1", redemption_id
        )
    )


async def signed_for(connection: Connection, signature: str) -> uuid.UUID | None:
    """The redemption whose request claimed `signature`, if any."""
    found: uuid.UUID | None = await connection.fetchval(
        "SELECT redemption_id FROM redemptions WHERE signature = $1", signature
    )
    return found


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


async def publications(
    connection: Connection, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dt.datetime | None]:
    """When each command was first published; None while every copy of it is still in the
    outbox. An id absent was published long ago (its rows were pruned)."""
    rows = await connection.fetch(
        """
        SELECT message_id, min(published_at) AS published_at FROM outbox
         WHERE message_id = ANY($1::uuid[]) GROUP BY message_id
        """,
        list(message_ids),
    )
    return {row["message_id"]: row["published_at"] for row in rows}


async def outcome_of(connection: Connection, redemption_id: uuid.UUID) -> bytes | None:
    value: bytes | None = await connection.fetchval(
        "SELECT outcome FROM redemptions WHERE redemption_id = $1", redemption_id
    )
    return value


class SagaWrites:
    """A transaction's saga states and step log, written just before it commits (a staged
    writer of the unit of work): one UPDATE and one INSERT for a batch of replies instead of
    two statements per reply. A saga saved here is this transaction's latest state of it
    (its row is locked since `lock`): read it back with `pending` before the database."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._locked: dict[uuid.UUID, Saga] = {}
        self._states: dict[uuid.UUID, tuple[Saga, bytes | None, dt.datetime]] = {}
        self._log: list[tuple[uuid.UUID, dt.datetime, str, str | None, str, uuid.UUID | None]] = []

    async def lock_all(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        """Lock and read the sagas a batch is about to move, in one query."""
        rows = await self._connection.fetch(
            """
            SELECT redemption_id, saga FROM redemptions
             WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id FOR UPDATE
            """,
            sorted(set(redemption_ids)),
        )
        for row in rows:
            self._locked[row["redemption_id"]] = Saga.model_validate_json(row["saga"])

    def pending(self, redemption_id: uuid.UUID) -> Saga | None:
        """This transaction's latest state of the saga, if it locked or moved it."""
        state = self._states.get(redemption_id)
        return state[0] if state is not None else self._locked.get(redemption_id)

    def pending_outcome(self, redemption_id: uuid.UUID) -> bytes | None:
        state = self._states.get(redemption_id)
        return None if state is None else state[1]

    def save(self, saga: Saga, outcome: bytes | None, now: dt.datetime) -> None:
        rid = saga.request.redemption_id
        earlier = self._states.get(rid)
        kept = outcome if outcome is not None else (earlier[1] if earlier else None)
        self._states[rid] = (saga, kept, now)

    def log(self, redemption_id: uuid.UUID, entries: Sequence[Entry], now: dt.datetime) -> None:
        self._log.extend(
            (redemption_id, now, e.event, e.step, e.detail, e.message_id) for e in entries
        )

    async def flush(self, commit: AtCommit) -> None:
        states, self._states = self._states, {}
        entries, self._log = self._log, []
        self._locked.clear()
        rows = [
            (rid, saga.status.value, saga.model_dump_json(), saga.deadline, now, outcome,
             saga.terminal)
            for rid, (saga, outcome, now) in states.items()
        ]  # fmt: skip
        commit.write_at_commit(_SAVE_SAGAS, rows)
        commit.write_at_commit(_SAGA_LOG, entries)


_SAVE_SAGAS = BulkStatement.over(
    """
    UPDATE redemptions AS r
       SET status = rows.status, saga = rows.saga, deadline = rows.deadline,
           updated_at = rows.now, outcome = coalesce(rows.outcome, r.outcome),
           ended_at = CASE WHEN rows.terminal THEN rows.now ELSE r.ended_at END
      FROM {rows}
     WHERE r.redemption_id = rows.redemption_id
    """,
    redemption_id="uuid", status="text", saga="jsonb", deadline="timestamptz",
    now="timestamptz", outcome="bytea", terminal="boolean",
)  # fmt: skip
_SAGA_LOG = BulkStatement.insert_into(
    "saga_log", redemption_id="uuid", at="timestamptz", event="text", step="text",
    detail="text", message_id="uuid",
)  # fmt: skip


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
    expires_at: dt.datetime | None = None
    """The firm quote's expiry (FX's): a redeem request must arrive before it."""


class Quotes:
    """A transaction's quote requests: locked and read for a whole batch in one query
    (`lock_all`), then read from here; what this transaction writes is kept current."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._known = KeyedRows(self._lock)

    async def _lock(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, QuoteRequest]]:
        rows = await self._connection.fetch(
            f"{_QUOTE} WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id FOR UPDATE",
            redemption_ids,
        )
        return [(row["redemption_id"], QuoteRequest(**dict(row))) for row in rows]

    async def lock_all(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        await self._known.load(redemption_ids)

    async def get(self, redemption_id: uuid.UUID) -> QuoteRequest | None:
        return await self._known.get(redemption_id)

    async def add(self, request: QuoteRequest) -> bool:
        """Store a new request; False if one exists for this redemption."""
        status = await self._connection.execute(
            """
            INSERT INTO quotes (redemption_id, customer_id, wallet_id, amount_minor,
                                payout_currency, status)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (redemption_id) DO NOTHING
            """,
            request.redemption_id,
            request.customer_id,
            request.wallet_id,
            request.amount_minor,
            request.payout_currency,
            request.status,
        )
        added = bool(status.endswith(" 1"))
        if added:
            self._known.put(request.redemption_id, request)
        return added

    async def settle(
        self,
        request: QuoteRequest,
        quote_id: uuid.UUID | None,
        status: str,
        outcome: bytes,
        expires_at: dt.datetime | None = None,
    ) -> None:
        await self._connection.execute(
            """
            UPDATE quotes SET quote_id = $2, status = $3, outcome = $4, expires_at = $5
             WHERE redemption_id = $1
            """,
            request.redemption_id,
            quote_id,
            status,
            outcome,
            expires_at,
        )
        settled = replace(
            request, quote_id=quote_id, status=status, outcome=outcome, expires_at=expires_at
        )
        self._known.put(request.redemption_id, settled)

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged (its writes go at once); what it read ends with the transaction."""
        self._known.clear()


_QUOTE = """
SELECT redemption_id, customer_id, wallet_id, amount_minor, payout_currency, quote_id,
       status, outcome, expires_at
  FROM quotes"""


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
