"""Issuance's view of KYC's customers and wallets: written from kyc.events, read for
the wallets a batch of commands touches."""

from __future__ import annotations

import uuid

from services.issuance.domain.ledger import wallet_account
from services.issuance.domain.views import CustomerStatus, CustomerView, WalletView
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


async def set_customer_status(
    conn: Connection, customer_id: uuid.UUID, status: CustomerStatus, reason: str | None,
    event_id: uuid.UUID,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO customers (customer_id, status, reason, updated_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (customer_id) DO UPDATE
           SET status = EXCLUDED.status, reason = EXCLUDED.reason,
               updated_by = EXCLUDED.updated_by, updated_at = now()
        """,
        customer_id, status, reason, event_id,
    )  # fmt: skip


async def set_customer_frozen(
    conn: Connection, customer_id: uuid.UUID, frozen: bool, reason: str | None, event_id: uuid.UUID
) -> None:
    await conn.execute(
        """
        INSERT INTO customers (customer_id, status, frozen, reason, updated_by)
        VALUES ($1, 'pending', $2, $3, $4)
        ON CONFLICT (customer_id) DO UPDATE
           SET frozen = EXCLUDED.frozen, reason = EXCLUDED.reason,
               updated_by = EXCLUDED.updated_by, updated_at = now()
        """,
        customer_id, frozen, reason, event_id,
    )  # fmt: skip


async def register_wallet(
    conn: Connection, wallet_id: uuid.UUID, customer_id: uuid.UUID, proof_of_control: str,
    event_id: uuid.UUID,
) -> None:  # fmt: skip
    """Record the wallet in the view and open its ledger account (empty)."""
    await conn.execute(
        """
        WITH view AS (
            INSERT INTO wallets (wallet_id, customer_id, registered, proof_of_control, updated_by)
            VALUES ($1, $2, true, $3, $4)
            ON CONFLICT (wallet_id) DO UPDATE
               SET customer_id = EXCLUDED.customer_id, registered = true,
                   proof_of_control = EXCLUDED.proof_of_control,
                   updated_by = EXCLUDED.updated_by, updated_at = now()
        )
        INSERT INTO accounts (account, kind, wallet_id) VALUES ($5, 'wallet', $1)
        ON CONFLICT (account) DO NOTHING
        """,
        wallet_id, customer_id, proof_of_control, event_id, wallet_account(wallet_id),
    )  # fmt: skip


async def set_wallet_frozen(
    conn: Connection, wallet_id: uuid.UUID, customer_id: uuid.UUID, frozen: bool,
    reason: str | None, event_id: uuid.UUID,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO wallets (wallet_id, customer_id, registered, frozen, reason, updated_by)
        VALUES ($1, $2, false, $3, $4, $5)
        ON CONFLICT (wallet_id) DO UPDATE
           SET frozen = EXCLUDED.frozen, reason = EXCLUDED.reason,
               updated_by = EXCLUDED.updated_by, updated_at = now()
        """,
        wallet_id, customer_id, frozen, reason, event_id,
    )  # fmt: skip


class KycView:
    """What KYC last told of each customer and wallet, one row each (kyc.events)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def set_customer_status(
        self, customer_id: uuid.UUID, status: CustomerStatus, reason: str | None,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        await set_customer_status(self._conn, customer_id, status, reason, event_id)

    async def set_customer_frozen(
        self, customer_id: uuid.UUID, frozen: bool, reason: str | None, event_id: uuid.UUID
    ) -> None:
        await set_customer_frozen(self._conn, customer_id, frozen, reason, event_id)

    async def register_wallet(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, proof_of_control: str,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        await register_wallet(self._conn, wallet_id, customer_id, proof_of_control, event_id)

    async def set_wallet_frozen(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, frozen: bool, reason: str | None,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        await set_wallet_frozen(self._conn, wallet_id, customer_id, frozen, reason, event_id)


class Owners:
    """Issuance's view of the wallets a batch's commands touch and of their customers (as KYC
    last told it), read for the whole batch in one query."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.rows = KeyedRows(self._read)

    async def _read(
        self, wallet_ids: list[uuid.UUID]
    ) -> list[tuple[uuid.UUID, tuple[WalletView, CustomerView | None]]]:
        rows = await self._conn.fetch(
            """
            SELECT w.wallet_id, w.customer_id, w.registered, w.proof_of_control, w.frozen,
                   c.status, c.frozen AS customer_frozen
              FROM wallets w LEFT JOIN customers c ON c.customer_id = w.customer_id
             WHERE w.wallet_id = ANY($1::uuid[])
            """,
            wallet_ids,
        )
        return [
            (row["wallet_id"], (
                WalletView(
                    row["wallet_id"], row["customer_id"], row["registered"],
                    row["proof_of_control"], row["frozen"],
                ),
                None
                if row["status"] is None
                else CustomerView(row["customer_id"], row["status"], row["customer_frozen"]),
            ))
            for row in rows
        ]  # fmt: skip

    async def of(self, wallet_id: uuid.UUID) -> tuple[WalletView | None, CustomerView | None]:
        return await self.rows.get(wallet_id) or (None, None)

    async def flush(self, commit: AtCommit) -> None:
        """Nothing to write: what it read ends with the transaction."""
        self.rows.clear()
