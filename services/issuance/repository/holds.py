"""The holds of redemptions and the burns of held tokens."""

from __future__ import annotations

import uuid

from services.issuance.domain.holds import Hold, HoldState
from services.issuance.domain.ledger import hold_account, hold_id
from services.issuance.domain.records import BurnRow
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class Holds:
    """The holds of a transaction's redemptions, locked and read for a whole batch in one
    query (`locked.load`, in redemption order); a hold the transaction changes is read
    again."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.locked = KeyedRows(self._lock)

    async def _lock(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Hold]]:
        rows = await self._conn.fetch(
            "SELECT redemption_id, state, hold_id, wallet_id, amount FROM holds"
            " WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id FOR UPDATE",
            redemption_ids,
        )
        return [
            (row["redemption_id"], Hold(
                row["redemption_id"], HoldState(row["state"]), row["hold_id"],
                row["wallet_id"], row["amount"],
            ))
            for row in rows
        ]  # fmt: skip

    async def of(self, redemption_id: uuid.UUID) -> Hold | None:
        """The redemption's hold, locked (loaded for the batch by `prepare`)."""
        return await self.locked.get(redemption_id)

    async def open(
        self, redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int,
        command_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self.locked.forget(redemption_id)
        await open_hold(
            self._conn, redemption_id, hold_id(redemption_id), wallet_id, amount, command_id
        )

    async def cancel(self, redemption_id: uuid.UUID, command_id: uuid.UUID) -> None:
        self.locked.forget(redemption_id)
        await record_cancellation(self._conn, redemption_id, command_id)

    async def close(
        self, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
    ) -> None:
        self.locked.forget(redemption_id)
        await close_hold(self._conn, redemption_id, state, command_id)

    async def burn(self, burn: BurnRow, command_id: uuid.UUID) -> None:
        """The burn's record and its hold closed as burned, in one statement."""
        self.locked.forget(burn.redemption_id)
        status = await self._conn.execute(
            """
            WITH burned AS (
                INSERT INTO burns (burn_id, redemption_id, wallet_id, amount, supply_after,
                                   command_id)
                VALUES ($1, $2, $3, $4, $5, $6)
            )
            UPDATE holds SET state = 'burned', burned_by = $6, updated_at = now()
             WHERE redemption_id = $2 AND state = 'placed'
            """,
            burn.burn_id, burn.redemption_id, burn.wallet_id, burn.amount, burn.supply_after,
            command_id,
        )  # fmt: skip
        if status != "UPDATE 1":
            raise RuntimeError(f"hold of {burn.redemption_id} was not placed")

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged (a hold is written at once); what it read ends with the batch."""
        self.locked.clear()


async def open_hold(
    conn: Connection, redemption_id: uuid.UUID, hold_id: uuid.UUID, wallet_id: uuid.UUID,
    amount: int, command_id: uuid.UUID,
) -> None:  # fmt: skip
    """The hold's record and its (empty) account; the hold movement fills it."""
    await conn.execute(
        """
        WITH hold AS (
            INSERT INTO holds (redemption_id, state, hold_id, wallet_id, amount, placed_by)
            VALUES ($1, 'placed', $2, $3, $4, $5)
        )
        INSERT INTO accounts (account, kind, wallet_id) VALUES ($6, 'hold', $3)
        """,
        redemption_id, hold_id, wallet_id, amount, command_id, hold_account(hold_id),
    )  # fmt: skip


async def record_cancellation(
    conn: Connection, redemption_id: uuid.UUID, command_id: uuid.UUID
) -> None:
    await conn.execute(
        "INSERT INTO holds (redemption_id, state, released_by) VALUES ($1, 'cancelled', $2)",
        redemption_id,
        command_id,
    )


async def close_hold(
    conn: Connection, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
) -> None:
    """placed -> released | burned; never from any other state (one way)."""
    column = {HoldState.RELEASED: "released_by", HoldState.BURNED: "burned_by"}[state]
    status = await conn.execute(
        f"UPDATE holds SET state = $2, {column} = $3, updated_at = now()"
        " WHERE redemption_id = $1 AND state = 'placed'",
        redemption_id,
        state.value,
        command_id,
    )
    if status != "UPDATE 1":
        raise RuntimeError(f"hold of {redemption_id} was not placed")


class Burns:
    """The burns of held tokens, one per redemption."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of_redemption(self, redemption_id: uuid.UUID) -> BurnRow | None:
        row = await self._conn.fetchrow(
            "SELECT burn_id, redemption_id, wallet_id, amount, supply_after FROM burns"
            " WHERE redemption_id = $1",
            redemption_id,
        )
        return BurnRow(**dict(row)) if row else None
