"""Beneficiary accounts on file: sealed as KYC sent them (only settlement's key opens them,
in memory, to order a payment), the bank's answer, and KYC's decision."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import asyncpg

from schemas.sealed import Sealed
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit
from services.settlement.domain.accounts import OnFile, State


@dataclass(frozen=True, slots=True)
class Account:
    account_id: uuid.UUID
    customer_id: uuid.UUID
    sealed: Sealed
    bank_result: str
    state: State

    @property
    def on_file(self) -> OnFile:
        return OnFile(self.customer_id, self.state)

    @classmethod
    def of(cls, row: asyncpg.Record) -> Account:
        return cls(
            account_id=row["account_id"],
            customer_id=row["customer_id"],
            sealed=Sealed.model_validate_json(row["sealed"]),
            bank_result=row["bank_result"],
            state=cast(State, row["state"]),
        )


class Accounts:
    """The accounts a transaction's payouts name, read for a whole batch in one query (not
    locked: KYC's decision about an account comes before any redemption naming it)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows = KeyedRows(self._read)

    async def _read(self, account_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Account]]:
        rows = await self._connection.fetch(
            "SELECT * FROM bank_accounts WHERE account_id = ANY($1::uuid[])", account_ids
        )
        return [(row["account_id"], Account.of(row)) for row in rows]

    async def load(self, account_ids: Iterable[uuid.UUID]) -> None:
        await self._rows.load(account_ids)

    async def get(self, account_id: uuid.UUID) -> Account | None:
        return await self._rows.get(account_id)

    async def keep(
        self,
        account_id: uuid.UUID,
        customer_id: uuid.UUID,
        sealed: Sealed,
        bank_result: str,
    ) -> Account:
        """File the account with the bank's answer; the one on file when it was filed before
        (a repeated check changes nothing)."""
        row = await self._connection.fetchrow(
            """
            WITH filed AS (
                INSERT INTO bank_accounts (account_id, customer_id, sealed, bank_result)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (account_id) DO NOTHING
                RETURNING *
            )
            SELECT * FROM filed
            UNION ALL SELECT * FROM bank_accounts WHERE account_id = $1
            LIMIT 1
            """,
            account_id,
            customer_id,
            sealed.model_dump_json(),
            bank_result,
        )
        assert row is not None
        return Account.of(row)

    async def locked(self, account_id: uuid.UUID) -> Account | None:
        row = await self._connection.fetchrow(
            "SELECT * FROM bank_accounts WHERE account_id = $1 FOR UPDATE", account_id
        )
        return None if row is None else Account.of(row)

    async def decided(self, account_id: uuid.UUID, state: State, reason: str | None) -> None:
        await self._connection.execute(
            "UPDATE bank_accounts SET state = $2, reason = $3, updated_at = now()"
            " WHERE account_id = $1",
            account_id,
            state,
            reason,
        )

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged; what it read ends with the transaction."""
        self._rows.clear()
