"""Beneficiary bank accounts: first-party accounts, checked by the bank through settlement;
their details encrypted at rest."""

from __future__ import annotations

import uuid

import asyncpg

from services.kyc.crypto import Sealed
from services.kyc.domain.accounts import State
from services.kyc.domain.records import BankAccount
from services.runtime.db import Connection


def account_of(row: asyncpg.Record) -> BankAccount:
    return BankAccount(
        account_id=row["account_id"],
        customer_id=row["customer_id"],
        state=row["state"],
        details=Sealed(row["pii_key_id"], row["pii_ciphertext"]),
    )


class BankAccounts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of(self, account_id: uuid.UUID, *, lock: bool = False) -> BankAccount | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM bank_accounts WHERE account_id = $1" + (" FOR UPDATE" if lock else ""),
            account_id,
        )
        return None if row is None else account_of(row)

    async def insert(
        self, account: BankAccount, reason: str | None, registration_id: uuid.UUID
    ) -> bool:
        """False when the account id is taken already (a concurrent registration)."""
        inserted = await self._conn.fetchval(
            """
            INSERT INTO bank_accounts (account_id, customer_id, state, reason, pii_key_id,
                                       pii_ciphertext, registration_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (account_id) DO NOTHING
            RETURNING true
            """,
            account.account_id,
            account.customer_id,
            account.state,
            reason,
            account.details.key_id,
            account.details.blob,
            registration_id,
        )
        return bool(inserted)

    async def decide(
        self, account_id: uuid.UUID, state: State, reason: str | None, bank_result: str | None
    ) -> None:
        await self._conn.execute(
            """
            UPDATE bank_accounts
               SET state = $2, reason = $3, bank_result = $4, updated_at = now()
             WHERE account_id = $1
            """,
            account_id,
            state,
            reason,
            bank_result,
        )

    async def sealed_under_other_keys(self, active_key_id: str, limit: int) -> list[BankAccount]:
        """Accounts whose details another key than the active one encrypted, locked."""
        rows = await self._conn.fetch(
            """
            SELECT * FROM bank_accounts
             WHERE pii_key_id <> $1 ORDER BY account_id LIMIT $2 FOR UPDATE SKIP LOCKED
            """,
            active_key_id,
            limit,
        )
        return [account_of(r) for r in rows]

    async def reseal(self, account_id: uuid.UUID, sealed: Sealed) -> None:
        await self._conn.execute(
            "UPDATE bank_accounts SET pii_key_id = $2, pii_ciphertext = $3 WHERE account_id = $1",
            account_id,
            sealed.key_id,
            sealed.blob,
        )
