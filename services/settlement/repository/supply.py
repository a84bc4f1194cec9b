"""Issuance's supply as settlement sees it, and the reserve releases it allows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


@dataclass(frozen=True, slots=True)
class SupplyMovement:
    movement_id: uuid.UUID
    """The mint id or the burn id."""
    kind: str
    amount_minor: int
    supply_after: int
    occurred_at: dt.datetime
    deposit_id: uuid.UUID | None = None
    """The deposit a mint was for (what backs it)."""
    redemption_id: uuid.UUID | None = None
    """The redemption a burn was for (what backs its payout)."""


class Supply:
    """Issuance's mints and burns as settlement sees them (for the attestation), written in
    one statement just before the transaction commits; a movement seen twice counts once."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[SupplyMovement] = []

    def record(self, movement: SupplyMovement) -> None:
        self._rows.append(movement)

    async def flush(self, commit: AtCommit) -> None:
        movements, self._rows = self._rows, []
        rows = [
            (m.movement_id, m.kind, m.amount_minor, m.supply_after, m.occurred_at, m.deposit_id,
             m.redemption_id)
            for m in movements
        ]  # fmt: skip
        commit.write_at_commit(_SUPPLY_MOVEMENTS, rows)


_SUPPLY_MOVEMENTS = BulkStatement.over(
    """
    INSERT INTO supply_movements (movement_id, kind, amount_minor, supply_after, occurred_at,
                                  deposit_id, redemption_id)
    SELECT * FROM {rows}
    ON CONFLICT DO NOTHING
    """,
    movement_id="uuid", kind="text", amount_minor="int8", supply_after="int8",
    occurred_at="timestamptz", deposit_id="uuid", redemption_id="uuid",
)  # fmt: skip


async def supply(connection: Connection) -> int:
    """Tokens in circulation (minor units): minted minus burned, whatever order the events
    arrived in across partitions."""
    value = await connection.fetchval(
        """
        SELECT coalesce(sum(CASE kind WHEN 'minted' THEN amount_minor ELSE -amount_minor END), 0)
          FROM supply_movements
        """
    )
    return int(value)


@dataclass(frozen=True, slots=True)
class Release:
    amount_minor: int
    reserve_after: int


class Releases:
    """The reserve releases of a transaction's redemptions: those already made, read for a
    whole batch in one query (`made.load`), and the new ones, written in one statement just
    before the commit (their entries' reference is checked at the commit)."""

    _INSERT = BulkStatement.insert_into(
        "reserve_releases", redemption_id="uuid", amount_minor="int8", reserve_after="int8",
        entry_id="uuid",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.made = KeyedRows(self._read)
        self._new: list[tuple[uuid.UUID, int, int, uuid.UUID]] = []

    async def _read(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Release]]:
        rows = await self._connection.fetch(
            "SELECT redemption_id, amount_minor, reserve_after FROM reserve_releases"
            " WHERE redemption_id = ANY($1::uuid[])",
            redemption_ids,
        )
        return [
            (row["redemption_id"], Release(row["amount_minor"], row["reserve_after"]))
            for row in rows
        ]

    async def of(self, redemption_id: uuid.UUID) -> Release | None:
        """The release made for the redemption, if any (read once per batch)."""
        return await self.made.get(redemption_id)

    def record(
        self, redemption_id: uuid.UUID, amount_minor: int, reserve_after: int,
        entry_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self.made.put(redemption_id, Release(amount_minor, reserve_after))
        self._new.append((redemption_id, amount_minor, reserve_after, entry_id))

    async def flush(self, commit: AtCommit) -> None:
        # one release per redemption: the primary key refuses a second one (a concurrent
        # duplicate waits on it, fails, and its retry finds this one's answer)
        rows, self._new = self._new, []
        self.made.clear()
        commit.write_at_commit(self._INSERT, rows)
