"""Eligibility checks: one decision per redemption, and the limit reservations they hold."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import asyncpg

from services.kyc.domain.records import Check, Customer, NewCheck, Redeeming
from services.kyc.repository.customers import customer_of
from services.kyc.repository.wallets import wallet_of
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows, Read
from services.runtime.unit_of_work import AtCommit

T = TypeVar("T")


def check_of(row: asyncpg.Record) -> Check:
    return Check(
        outcome=row["outcome"],
        reservation_id=row["reservation_id"],
        tier=row["tier"],
        reason=row["reason"],
        detail=row["detail"],
    )


class Locked:
    """The rows a batch of eligibility commands decides on, locked up front in one query
    each and always in one order, customers then checks (no two batches wait on each other
    in a cycle): a staged writer of the unit of work, so the batch shares what it read."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.customers = KeyedRows(self._locker("customers", "customer_id", customer_of))
        """Locked: serialises every decision about one customer (limit reservations above
        all) across replicas."""
        self.checks = KeyedRows(self._locker("eligibility_checks", "redemption_id", check_of))
        """Locked; a check the transaction writes must be forgotten, to be read again."""

    def _locker(
        self, table: str, key: str, record: Callable[[asyncpg.Record], T]
    ) -> Read[uuid.UUID, T]:
        async def lock(ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, T]]:
            rows = await self._conn.fetch(
                f"SELECT * FROM {table} WHERE {key} = ANY($1::uuid[]) ORDER BY {key} FOR UPDATE",
                ids,
            )
            return [(row[key], record(row)) for row in rows]

        return lock

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged; what it read ends with the transaction."""
        self.customers.clear()
        self.checks.clear()


class Checks:
    def __init__(self, conn: Connection, locked: Locked) -> None:
        self._conn = conn
        self._locked = locked

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer, locked for the check (the batch's `prepare` locked it already)."""
        return await self._locked.customers.get(customer_id)

    async def of(self, redemption_id: uuid.UUID) -> Check | None:
        return await self._locked.checks.get(redemption_id)

    async def redeeming(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID
    ) -> Redeeming:
        """The wallet, the beneficiary account's owner and state, and the customer's live
        reservations of the rolling window. Read after the customer's row lock: its
        snapshot then sees every reservation committed before the lock was granted."""
        row = await self._conn.fetchrow(
            """
            SELECT w.*, (SELECT coalesce(sum(amount_minor), 0) FROM eligibility_checks
                          WHERE customer_id = $2 AND outcome = 'reserved'
                            AND checked_at > now() - interval '24 hours') AS reserved_minor,
                   a.customer_id AS beneficiary_customer_id, a.state AS beneficiary_state
              FROM (SELECT) AS one
              LEFT JOIN wallets w ON w.wallet_id = $1
              LEFT JOIN bank_accounts a ON a.account_id = $3
            """,
            wallet_id,
            customer_id,
            account_id,
        )
        assert row is not None
        owner, state = row["beneficiary_customer_id"], row["beneficiary_state"]
        return Redeeming(
            wallet=wallet_of(row) if row["wallet_id"] is not None else None,
            beneficiary=None if owner is None or state is None else (owner, state),
            reserved_minor=int(row["reserved_minor"]),
        )

    async def record(self, check: NewCheck) -> bool:
        """False when a row for this redemption appeared meanwhile (a concurrent release or
        check); either way the row is read again when next asked for."""
        self._locked.checks.forget(check.redemption_id)
        inserted = await self._conn.fetchval(
            """
            INSERT INTO eligibility_checks (redemption_id, customer_id, wallet_id, amount_minor,
                                            outcome, reason, detail, tier, reservation_id,
                                            signature, beneficiary_account_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (redemption_id) DO NOTHING RETURNING true
            """,
            check.redemption_id,
            check.customer_id,
            check.wallet_id,
            check.amount_minor,
            check.outcome,
            check.reason,
            check.detail,
            check.tier,
            check.reservation_id,
            check.signature,
            check.beneficiary_account_id,
        )
        return bool(inserted)

    async def release(self, redemption_id: uuid.UUID) -> None:
        self._locked.checks.forget(redemption_id)
        await self._conn.execute(
            "UPDATE eligibility_checks SET outcome = 'released', released_at = now() "
            "WHERE redemption_id = $1 AND outcome = 'reserved'",
            redemption_id,
        )
