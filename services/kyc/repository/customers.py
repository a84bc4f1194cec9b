"""Customers: their decided state and their particulars, encrypted at rest."""

from __future__ import annotations

import uuid

import asyncpg

from services.kyc.crypto import Sealed
from services.kyc.domain.records import Customer
from services.runtime.db import Connection


def customer_of(row: asyncpg.Record) -> Customer:
    return Customer(
        customer_id=row["customer_id"],
        kind=row["kind"],
        status=row["status"],
        tier=row["tier"],
        due_diligence=row["due_diligence"],
        frozen=row["frozen"],
        freeze_reason=row["freeze_reason"],
        sanctioned=row["sanctioned"],
        particulars=Sealed(row["pii_key_id"], row["pii_ciphertext"]),
    )


class Customers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of(self, customer_id: uuid.UUID, *, lock: bool = False) -> Customer | None:
        """`lock`: SELECT ... FOR UPDATE, which serialises every decision about one
        customer (limit reservations above all) across replicas."""
        row = await self._conn.fetchrow(
            "SELECT * FROM customers WHERE customer_id = $1" + (" FOR UPDATE" if lock else ""),
            customer_id,
        )
        return None if row is None else customer_of(row)

    async def insert(self, customer: Customer, application_id: uuid.UUID) -> bool:
        """False when the customer exists already (a concurrent application)."""
        inserted = await self._conn.fetchval(
            """
            INSERT INTO customers (customer_id, kind, status, tier, due_diligence, sanctioned,
                                   pii_key_id, pii_ciphertext, application_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (customer_id) DO NOTHING
            RETURNING true
            """,
            customer.customer_id,
            customer.kind,
            customer.status,
            customer.tier,
            customer.due_diligence,
            customer.sanctioned,
            customer.particulars.key_id,
            customer.particulars.blob,
            application_id,
        )
        return bool(inserted)

    async def update(self, customer: Customer) -> None:
        """The customer's decided state (status, freeze, sanctions mark) as `customer` has it."""
        await self._conn.execute(
            """
            UPDATE customers
               SET status = $2, frozen = $3, freeze_reason = $4, sanctioned = $5,
                   updated_at = now()
             WHERE customer_id = $1
            """,
            customer.customer_id,
            customer.status,
            customer.frozen,
            customer.freeze_reason,
            customer.sanctioned,
        )

    async def to_rescreen(self, *, unless_screened_with: str | None = None) -> list[Customer]:
        """Customers a list change can still change (not rejected), locked; with
        `unless_screened_with`, only those whose last screening used other lists."""
        if unless_screened_with is None:
            rows = await self._conn.fetch(
                "SELECT * FROM customers WHERE status <> 'rejected' ORDER BY customer_id FOR UPDATE"
            )
        else:
            rows = await self._conn.fetch(
                """
                SELECT c.* FROM customers c
                 WHERE c.status <> 'rejected'
                   AND (SELECT s.list_version FROM screenings s
                         WHERE s.customer_id = c.customer_id
                         ORDER BY s.id DESC LIMIT 1) IS DISTINCT FROM $1
                 ORDER BY c.customer_id FOR UPDATE
                """,
                unless_screened_with,
            )
        return [customer_of(r) for r in rows]

    async def sealed_under_other_keys(self, active_key_id: str, limit: int) -> list[Customer]:
        """Customers whose particulars another key than the active one encrypted, locked."""
        rows = await self._conn.fetch(
            """
            SELECT * FROM customers
             WHERE pii_key_id <> $1 ORDER BY customer_id LIMIT $2 FOR UPDATE SKIP LOCKED
            """,
            active_key_id,
            limit,
        )
        return [customer_of(r) for r in rows]

    async def reseal(self, customer_id: uuid.UUID, sealed: Sealed) -> None:
        await self._conn.execute(
            "UPDATE customers SET pii_key_id = $2, pii_ciphertext = $3 WHERE customer_id = $1",
            customer_id,
            sealed.key_id,
            sealed.blob,
        )
