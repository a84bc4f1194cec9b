"""The mints: one per deposit."""

from __future__ import annotations

import uuid

from services.issuance.domain.records import MintRow
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class Mints:
    """The mints of a transaction's deposits: those made before, read for a whole batch in
    one query (`rows.load`), and the new ones, written in one statement just before the
    commit (one mint per deposit: the unique deposit id refuses a second one)."""

    _INSERT = BulkStatement.insert_into(
        "mints", mint_id="uuid", deposit_id="uuid", customer_id="uuid", wallet_id="uuid",
        amount="int8", reserve_cnh="int8", supply_after="int8", command_id="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.rows = KeyedRows(self._read)
        self._new: list[tuple[object, ...]] = []

    async def _read(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, MintRow]]:
        rows = await self._conn.fetch(
            "SELECT mint_id, deposit_id, customer_id, wallet_id, amount, supply_after"
            " FROM mints WHERE deposit_id = ANY($1::uuid[])",
            deposit_ids,
        )
        return [(row["deposit_id"], MintRow(**dict(row))) for row in rows]

    async def of(self, deposit_id: uuid.UUID) -> MintRow | None:
        """The deposit's mint, if it was minted for."""
        return await self.rows.get(deposit_id)

    def record(self, mint: MintRow, reserve_cnh: int, command_id: uuid.UUID) -> None:
        self.rows.put(mint.deposit_id, mint)
        self._new.append((
            mint.mint_id, mint.deposit_id, mint.customer_id, mint.wallet_id, mint.amount,
            reserve_cnh, mint.supply_after, command_id,
        ))  # fmt: skip

    async def flush(self, commit: AtCommit) -> None:
        rows, self._new = self._new, []
        self.rows.clear()
        commit.write_at_commit(self._INSERT, rows)
