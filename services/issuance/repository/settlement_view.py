"""Issuance's view of settlement's facts: the deposits it told of and the reserve."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from typing import Literal

from services.issuance.domain.views import DepositView
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class Deposits:
    """The deposits settlement told of: read for a mint batch in one query (`rows.load`);
    written by the facts' batch in one statement at its commit (the last fact of a deposit
    in the batch wins: they come in order, on the deposit's key)."""

    _UPSERT = BulkStatement.over(
        """
        INSERT INTO deposits (deposit_id, customer_id, wallet_id, tokens, updated_by)
        SELECT * FROM {rows}
        ON CONFLICT (deposit_id) DO UPDATE
           SET customer_id = EXCLUDED.customer_id, wallet_id = EXCLUDED.wallet_id,
               tokens = EXCLUDED.tokens, updated_by = EXCLUDED.updated_by, updated_at = now()
        """,
        deposit_id="uuid", customer_id="uuid", wallet_id="uuid", tokens="int8",
        updated_by="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.rows = KeyedRows(self._read)
        self._matched: dict[uuid.UUID, tuple[object, ...]] = {}

    async def _read(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, DepositView]]:
        rows = await self._conn.fetch(
            "SELECT deposit_id, customer_id, wallet_id, tokens, refunded FROM deposits"
            " WHERE deposit_id = ANY($1::uuid[])",
            deposit_ids,
        )
        return [(row["deposit_id"], DepositView(**dict(row))) for row in rows]

    async def of(self, deposit_id: uuid.UUID) -> DepositView | None:
        return await self.rows.get(deposit_id)

    async def wait_for(self, deposit_ids: Iterable[uuid.UUID], timeout_s: float) -> None:
        """Give the facts of a batch's deposits up to `timeout_s` to arrive: they travel on
        settlement.events, read by another consumer, and usually follow within moments.
        Called before any lock is taken, so waiting holds nothing up but this batch."""
        missing = set(deposit_ids)
        deadline = time.monotonic() + timeout_s
        while missing:
            found = await self._conn.fetch(
                "SELECT deposit_id FROM deposits WHERE deposit_id = ANY($1::uuid[])",
                list(missing),
            )
            missing -= {row["deposit_id"] for row in found}
            if not missing or time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.02)

    def matched(self, deposit: DepositView, event_id: uuid.UUID) -> None:
        self._matched[deposit.deposit_id] = (
            deposit.deposit_id, deposit.customer_id, deposit.wallet_id, deposit.tokens, event_id,
        )  # fmt: skip

    async def refunded(self, deposit_id: uuid.UUID, event_id: uuid.UUID) -> None:
        """Never minted for after this (a deposit never matched has no row: nothing to mark,
        a mint for it is refused as unknown)."""
        await self.flush_matched()
        await self._conn.execute(
            "UPDATE deposits SET refunded = true, updated_by = $2, updated_at = now()"
            " WHERE deposit_id = $1",
            deposit_id,
            event_id,
        )

    async def flush_matched(self) -> None:
        rows, self._matched = list(self._matched.values()), {}
        await self._UPSERT.run(self._conn, rows)

    async def flush(self, commit: AtCommit) -> None:
        self.rows.clear()
        await self.flush_matched()


class Reserve:
    """The CNH reserve as settlement's ReserveMoved facts tell it. A facts' batch records
    its movements (each journal entry once) and moves the balance by their sum, in one
    statement; a mint batch reads the balance with a shared lock, so no movement lands
    between its check and its commit."""

    _MOVE = BulkStatement.over(
        """
        WITH moved AS (
            INSERT INTO reserve_movements (entry_id, direction, amount, cause, deposit_id,
                                           redemption_id, event_id)
            SELECT * FROM {rows}
            ON CONFLICT (entry_id) DO NOTHING
            RETURNING CASE WHEN direction = 'in' THEN amount ELSE -amount END AS change
        )
        UPDATE reserve SET balance = balance + (SELECT coalesce(sum(change), 0) FROM moved),
                           updated_at = now()
        """,
        entry_id="uuid", direction="text", amount="int8", cause="text", deposit_id="uuid",
        redemption_id="uuid", event_id="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._balance: int | None = None
        self._moves: list[tuple[object, ...]] = []

    async def balance(self) -> int:
        """The reserve in fen, read once per transaction (locked FOR SHARE)."""
        if self._balance is None:
            self._balance = int(await self._conn.fetchval("SELECT balance FROM reserve FOR SHARE"))
        return self._balance

    def moved(
        self, entry_id: uuid.UUID, direction: Literal["in", "out"], amount_fen: int, cause: str,
        deposit_id: uuid.UUID | None, redemption_id: uuid.UUID | None, event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self._moves.append(
            (entry_id, direction, amount_fen, cause, deposit_id, redemption_id, event_id)
        )

    async def flush(self, commit: AtCommit) -> None:
        moves, self._moves = self._moves, []
        self._balance = None
        await self._MOVE.run(self._conn, moves)
