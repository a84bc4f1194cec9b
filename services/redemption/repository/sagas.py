"""The sagas: one row per redemption (the Saga model as JSON plus the columns the watchdog
and operators query). A transaction's saga states are written just before it commits (a
staged writer of the unit of work): one UPDATE for a batch of replies instead of one per
reply. A saga saved here is this transaction's latest state of it (its row is locked):
`of` reads it back before the database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from services.redemption.domain.state import Saga
from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit


class Sagas:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._locked: dict[uuid.UUID, Saga] = {}
        self._states: dict[uuid.UUID, tuple[Saga, bytes | None, dt.datetime]] = {}

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

    async def of(self, redemption_id: uuid.UUID) -> Saga | None:
        # a saga this batch locked or already moved is newer than its row
        pending = self._pending(redemption_id)
        if pending is not None:
            return pending
        row = await self._connection.fetchrow(
            "SELECT saga FROM redemptions WHERE redemption_id = $1 FOR UPDATE", redemption_id
        )
        return None if row is None else Saga.model_validate_json(row["saga"])

    def _pending(self, redemption_id: uuid.UUID) -> Saga | None:
        state = self._states.get(redemption_id)
        return state[0] if state is not None else self._locked.get(redemption_id)

    async def insert(self, saga: Saga, signature: str | None) -> bool:
        """Store a new saga, claiming the request's `signature` for it (None: claims none);
        False when this redemption id exists already (a repeated request) or another
        redemption claimed the signature meanwhile."""
        request = saga.request
        status = await self._connection.execute(
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

    async def exists(self, redemption_id: uuid.UUID) -> bool:
        return bool(
            await self._connection.fetchval(
                "SELECT true FROM redemptions WHERE redemption_id = $1", redemption_id
            )
        )

    async def signed_for(self, signature: str) -> uuid.UUID | None:
        """The redemption whose request claimed `signature`, if any."""
        found: uuid.UUID | None = await self._connection.fetchval(
            "SELECT redemption_id FROM redemptions WHERE signature = $1", signature
        )
        return found

    async def outcome_of(self, redemption_id: uuid.UUID) -> bytes | None:
        state = self._states.get(redemption_id)
        if state is not None and state[1] is not None:
            return state[1]
        value: bytes | None = await self._connection.fetchval(
            "SELECT outcome FROM redemptions WHERE redemption_id = $1", redemption_id
        )
        return value

    async def due(self, now: dt.datetime, limit: int) -> list[Saga]:
        """Running sagas whose deadline passed; replicas skip each other's rows."""
        rows = await self._connection.fetch(
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

    def save(self, saga: Saga, outcome: bytes | None, now: dt.datetime) -> None:
        rid = saga.request.redemption_id
        earlier = self._states.get(rid)
        kept = outcome if outcome is not None else (earlier[1] if earlier else None)
        self._states[rid] = (saga, kept, now)

    async def flush(self, commit: AtCommit) -> None:
        states, self._states = self._states, {}
        self._locked.clear()
        rows = [
            (rid, saga.status.value, saga.model_dump_json(), saga.deadline, now, outcome,
             saga.terminal)
            for rid, (saga, outcome, now) in states.items()
        ]  # fmt: skip
        commit.write_at_commit(_SAVE_SAGAS, rows)


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
