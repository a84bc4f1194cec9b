"""Settlement's view of KYC's wallets: a deposit reference -> its customer and wallet."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class References:
    """The deposit references a transaction matches deposits to, or registers wallets for.

    Locked, for a whole batch in one statement and in one order (no deadlock between a
    batch of deposits and a batch of wallet registrations): this serialises everything that
    matches deposits to a reference, since a deposit arriving while its wallet's
    registration commits would otherwise be missed by both. Their wallets are read after
    the lock, for a whole batch in one query too."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._locked: set[str] = set()
        self._owners = KeyedRows(self._read_owners)

    async def lock(self, references: Iterable[str]) -> None:
        wanted = set(references) - self._locked
        if wanted:
            await lock_references(self._connection, wanted)
            self._locked |= wanted

    async def _read_owners(
        self, references: list[str]
    ) -> list[tuple[str, tuple[uuid.UUID, uuid.UUID]]]:
        await self.lock(references)
        rows = await self._connection.fetch(
            "SELECT deposit_reference, customer_id, wallet_id FROM wallets"
            " WHERE deposit_reference = ANY($1::text[])",
            references,
        )
        return [(row["deposit_reference"], (row["customer_id"], row["wallet_id"])) for row in rows]

    async def read_owners(self, references: Iterable[str]) -> None:
        """(customer, wallet) of each reference's wallet; locks the references first."""
        await self._owners.load(references)

    async def owner(self, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        return await self._owners.get(reference)

    def forget(self, reference: str) -> None:
        """A wallet was registered for it: the next `owner` reads it again."""
        self._owners.forget(reference)

    async def register(self, reference: str, customer_id: uuid.UUID, wallet_id: uuid.UUID) -> bool:
        """True if recorded (or already recorded the same way); False on a conflicting one."""
        row = await self._connection.fetchrow(
            """
            INSERT INTO wallets (deposit_reference, customer_id, wallet_id) VALUES ($1, $2, $3)
            ON CONFLICT (deposit_reference)
            DO UPDATE SET deposit_reference = EXCLUDED.deposit_reference
            RETURNING customer_id, wallet_id
            """,
            reference,
            customer_id,
            wallet_id,
        )
        assert row is not None
        return bool(row["customer_id"] == customer_id and row["wallet_id"] == wallet_id)

    async def wallet_for(self, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        row = await self._connection.fetchrow(
            "SELECT customer_id, wallet_id FROM wallets WHERE deposit_reference = $1", reference
        )
        return (row["customer_id"], row["wallet_id"]) if row else None

    async def flush(self, commit: AtCommit) -> None:
        """Nothing to write: the locks go with the transaction."""
        self._locked.clear()
        self._owners.clear()


async def lock_references(connection: Connection, references: Iterable[str]) -> None:
    """See `References`: in one order for every transaction."""
    await connection.execute(
        """
        SELECT count(pg_advisory_xact_lock(k)) FROM (
            SELECT DISTINCT hashtextextended('deposit-reference:' || r, 0) AS k
              FROM unnest($1::text[]) AS r ORDER BY 1) AS keys
        """,
        list(references),
    )
