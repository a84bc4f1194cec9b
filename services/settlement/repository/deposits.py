"""Deposits: bank credits of CNH, their state (domain/deposits.py) and mint attempts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

import asyncpg

from schemas import Money
from schemas.sealed import Sealed
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


@dataclass(frozen=True, slots=True)
class Deposit:
    deposit_id: uuid.UUID
    bank_reference: str
    amount: Money
    particulars: Sealed | None
    """The payer and remittance text as the bank sent them, sealed to settlement
    (DepositParticulars, context deposit_context(bank_reference)); None for a row from
    before settlement_0009."""
    customer_id: uuid.UUID | None
    wallet_id: uuid.UUID | None
    state: str
    reason: str | None
    deposit_reference: str | None = None
    """The customer's deposit reference found in the remittance text (an id, not personal)."""
    mint_attempts: int = 0

    @classmethod
    def of(cls, row: asyncpg.Record) -> Deposit:
        return cls(
            deposit_id=row["deposit_id"],
            bank_reference=row["bank_reference"],
            amount=Money(amount_minor=row["amount_minor"], currency=row["currency"]),
            particulars=(
                Sealed.model_validate_json(row["particulars"]) if row["particulars"] else None
            ),
            customer_id=row["customer_id"],
            wallet_id=row["wallet_id"],
            state=row["state"],
            reason=row["reason"],
            deposit_reference=row["deposit_reference"],
            mint_attempts=row["mint_attempts"],
        )


class Deposits:
    """The deposits a batch of mint replies settles: locked and read for the whole batch in
    one query (`locked.load`, in deposit order), their new states written in one statement
    at the commit. A deposit changed here is read back from here."""

    _SET_STATES = BulkStatement.over(
        """
        UPDATE deposits AS d
           SET state = rows.state, reason = rows.reason, detail = rows.detail,
               updated_at = now()
          FROM {rows}
         WHERE d.deposit_id = rows.deposit_id
        """,
        deposit_id="uuid", state="text", reason="text", detail="text",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._locked = KeyedRows(self._lock)
        self._changed: dict[uuid.UUID, tuple[str, str | None, str]] = {}

    async def _lock(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Deposit]]:
        rows = await self._connection.fetch(
            "SELECT * FROM deposits WHERE deposit_id = ANY($1::uuid[])"
            " ORDER BY deposit_id FOR UPDATE",
            deposit_ids,
        )
        return [(row["deposit_id"], Deposit.of(row)) for row in rows]

    async def lock_all(self, deposit_ids: Iterable[uuid.UUID]) -> None:
        """Lock and read a batch's deposits in one query, in deposit order."""
        await self._locked.load(deposit_ids)

    async def locked(self, deposit_id: uuid.UUID) -> Deposit | None:
        """The deposit, locked for the batch (and as this transaction changed it)."""
        return await self._locked.get(deposit_id)

    def set_state(
        self, deposit: Deposit, state: str, reason: str | None = None, detail: str = ""
    ) -> None:
        kept = reason if reason is not None else deposit.reason  # as coalesce() would
        changed = replace(deposit, state=state, reason=kept)
        self._locked.put(deposit.deposit_id, changed)
        self._changed[deposit.deposit_id] = (state, changed.reason, detail)

    async def insert(
        self,
        deposit_id: uuid.UUID,
        bank_reference: str,
        amount: Money,
        deposit_reference: str | None,
        particulars: Sealed,
        value_date: dt.date,
        owner: tuple[uuid.UUID, uuid.UUID] | None,
        state: str,
        reason: str | None,
        mint_command_id: uuid.UUID | None = None,
    ) -> bool:
        """False when this bank credit is already known (a repeated notification). With a
        `mint_command_id`, the deposit is recorded as its first mint asked for."""
        inserted = await self._connection.fetchval(
            """
            INSERT INTO deposits (deposit_id, bank_reference, amount_minor, currency,
                                  deposit_reference, particulars, value_date, customer_id,
                                  wallet_id, state, reason,
                                  mint_command_id, mint_attempts)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11,
                    $12, CASE WHEN $12::uuid IS NULL THEN 0 ELSE 1 END)
            ON CONFLICT DO NOTHING RETURNING true
            """,
            deposit_id,
            bank_reference,
            amount.amount_minor,
            amount.currency,
            deposit_reference,
            particulars.model_dump_json(),
            value_date,
            owner[0] if owner else None,
            owner[1] if owner else None,
            state,
            reason,
            mint_command_id,
        )
        return bool(inserted)

    async def for_update(self, deposit_id: uuid.UUID) -> Deposit | None:
        row = await self._connection.fetchrow(
            "SELECT * FROM deposits WHERE deposit_id = $1 FOR UPDATE", deposit_id
        )
        return Deposit.of(row) if row else None

    async def change_state(
        self,
        deposit_id: uuid.UUID,
        state: str,
        reason: str | None = None,
        detail: str = "",
        mint_command_id: uuid.UUID | None = None,
    ) -> None:
        await self._connection.execute(
            """
            UPDATE deposits SET state = $2, reason = coalesce($3, reason), detail = $4,
                   mint_command_id = coalesce($5, mint_command_id), updated_at = now()
             WHERE deposit_id = $1
            """,
            deposit_id,
            state,
            reason,
            detail,
            mint_command_id,
        )

    async def mint_requested(
        self,
        deposit_id: uuid.UUID,
        owner: tuple[uuid.UUID, uuid.UUID],
        mint_command_id: uuid.UUID,
    ) -> None:
        """The deposit is matched to a wallet and a mint was asked for (again)."""
        await self._connection.execute(
            """
            UPDATE deposits SET state = 'minting', customer_id = $2, wallet_id = $3,
                   mint_command_id = $4, mint_attempts = mint_attempts + 1, updated_at = now()
             WHERE deposit_id = $1
            """,
            deposit_id,
            owner[0],
            owner[1],
            mint_command_id,
        )

    async def suspended_unmatched(self, reference: str) -> list[Deposit]:
        """Suspended deposits whose remittance text named `reference` (a wallet KYC has just
        registered): they arrived before settlement knew the reference."""
        rows = await self._connection.fetch(
            """
            SELECT * FROM deposits
             WHERE state = 'suspended' AND reason = 'unmatched_reference'
               AND deposit_reference = $1
               FOR UPDATE
            """,
            reference,
        )
        return [Deposit.of(row) for row in rows]

    async def flush(self, commit: AtCommit) -> None:
        changed, self._changed = self._changed, {}
        self._locked.clear()
        commit.write_at_commit(
            self._SET_STATES, [(deposit_id, *change) for deposit_id, change in changed.items()]
        )


async def retryable_deposits(
    connection: Connection, reasons: list[str], max_attempts: int, base_delay_s: float
) -> list[Deposit]:
    """Suspended deposits whose mint was refused for a reason that may pass (issuance had
    not yet seen KYC's events), due for another try: backing off with each attempt."""
    rows = await connection.fetch(
        """
        SELECT * FROM deposits
         WHERE state = 'suspended' AND reason = ANY($1) AND mint_attempts < $2
           AND updated_at < now() - make_interval(secs => $3 * 2 ^ mint_attempts)
         ORDER BY updated_at
         LIMIT 100
           FOR UPDATE SKIP LOCKED
        """,
        reasons,
        max_attempts,
        base_delay_s,
    )
    return [Deposit.of(row) for row in rows]
