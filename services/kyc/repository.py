"""KYC's SQL: one function per query. Every function runs in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from services.kyc.crypto import Sealed
from services.kyc.domain.lists import ParsedList
from services.kyc.domain.screening import SanctionsEntry
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows, Read
from services.runtime.unit_of_work import AtCommit

# --- customers -----------------------------------------------------------------------------


async def customer(
    conn: Connection, customer_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    """`lock`: SELECT ... FOR UPDATE, which serialises every decision about one customer
    (limit reservations above all) across replicas."""
    return await conn.fetchrow(
        "SELECT * FROM customers WHERE customer_id = $1" + (" FOR UPDATE" if lock else ""),
        customer_id,
    )


async def insert_customer(
    conn: Connection,
    customer_id: uuid.UUID,
    kind: str,
    status: str,
    tier: str,
    due_diligence: str,
    sanctioned: bool,
    sealed: Sealed,
    application_id: uuid.UUID,
) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO customers (customer_id, kind, status, tier, due_diligence, sanctioned,
                               pii_key_id, pii_ciphertext, application_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (customer_id) DO NOTHING
        RETURNING true
        """,
        customer_id,
        kind,
        status,
        tier,
        due_diligence,
        sanctioned,
        sealed.key_id,
        sealed.blob,
        application_id,
    )
    return bool(inserted)


async def update_customer(
    conn: Connection,
    customer_id: uuid.UUID,
    *,
    status: str,
    frozen: bool,
    freeze_reason: str | None,
    sanctioned: bool,
) -> None:
    await conn.execute(
        """
        UPDATE customers
           SET status = $2, frozen = $3, freeze_reason = $4, sanctioned = $5, updated_at = now()
         WHERE customer_id = $1
        """,
        customer_id,
        status,
        frozen,
        freeze_reason,
        sanctioned,
    )


async def customers_to_rescreen(conn: Connection) -> list[asyncpg.Record]:
    """Customers a new list can still change (not rejected), locked."""
    return await conn.fetch(
        "SELECT * FROM customers WHERE status <> 'rejected' ORDER BY customer_id FOR UPDATE"
    )


async def history(
    conn: Connection,
    action: str,
    *,
    actor: str,
    customer_id: uuid.UUID | None = None,
    wallet_id: uuid.UUID | None = None,
    reason: str | None = None,
    cause_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO kyc_history (customer_id, wallet_id, action, reason, actor, cause_id,
                                 account_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        customer_id,
        wallet_id,
        action,
        reason,
        actor,
        cause_id,
        account_id,
    )


# --- wallets -------------------------------------------------------------------------------


async def wallet(
    conn: Connection, wallet_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM wallets WHERE wallet_id = $1" + (" FOR UPDATE" if lock else ""),
        wallet_id,
    )


async def address_taken(conn: Connection, address: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM wallets WHERE address = $1", address))


async def insert_wallet(
    conn: Connection,
    wallet_id: uuid.UUID,
    customer_id: uuid.UUID,
    address: str,
    deposit_reference: str,
    proof_of_control: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO wallets (wallet_id, customer_id, address, deposit_reference, proof_of_control)
        VALUES ($1, $2, $3, $4, $5)
        """,
        wallet_id,
        customer_id,
        address,
        deposit_reference,
        proof_of_control,
    )


async def verify_wallet(conn: Connection, wallet_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE wallets SET proof_of_control = 'verified', updated_at = now() WHERE wallet_id = $1",
        wallet_id,
    )


async def set_wallet_frozen(
    conn: Connection, wallet_id: uuid.UUID, frozen: bool, reason: str | None
) -> None:
    await conn.execute(
        "UPDATE wallets SET frozen = $2, freeze_reason = $3, updated_at = now() "
        "WHERE wallet_id = $1",
        wallet_id,
        frozen,
        reason,
    )


# --- beneficiary bank accounts --------------------------------------------------------------


async def bank_account(
    conn: Connection, account_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM bank_accounts WHERE account_id = $1" + (" FOR UPDATE" if lock else ""),
        account_id,
    )


async def insert_bank_account(
    conn: Connection,
    account_id: uuid.UUID,
    customer_id: uuid.UUID,
    state: str,
    reason: str | None,
    sealed: Sealed,
    registration_id: uuid.UUID,
) -> bool:
    inserted = await conn.fetchval(
        """
        INSERT INTO bank_accounts (account_id, customer_id, state, reason, pii_key_id,
                                   pii_ciphertext, registration_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (account_id) DO NOTHING
        RETURNING true
        """,
        account_id,
        customer_id,
        state,
        reason,
        sealed.key_id,
        sealed.blob,
        registration_id,
    )
    return bool(inserted)


async def decide_bank_account(
    conn: Connection,
    account_id: uuid.UUID,
    state: str,
    reason: str | None,
    bank_result: str | None,
) -> None:
    await conn.execute(
        """
        UPDATE bank_accounts SET state = $2, reason = $3, bank_result = $4, updated_at = now()
         WHERE account_id = $1
        """,
        account_id,
        state,
        reason,
        bank_result,
    )


# --- sanctions lists and screenings --------------------------------------------------------


async def active_list_version(conn: Connection) -> str | None:
    """The most recently loaded list is the one customers are screened against."""
    version: str | None = await conn.fetchval(
        "SELECT version FROM sanctions_lists ORDER BY loaded_seq DESC LIMIT 1"
    )
    return version


async def list_entries(conn: Connection, version: str) -> list[SanctionsEntry]:
    rows = await conn.fetch("SELECT * FROM sanctions_entries WHERE version = $1", version)
    return [
        SanctionsEntry(
            ref=r["ref"],
            kind=r["kind"],
            names=tuple(r["names"]),
            birth_dates=tuple(r["birth_dates"]),
            birth_years=tuple(r["birth_years"]),
            nationalities=tuple(r["nationalities"]),
        )
        for r in rows
    ]


async def insert_list(conn: Connection, parsed: ParsedList) -> bool:
    """False when this version is already loaded (the same file twice)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO sanctions_lists (version, source, sha256, entries) VALUES ($1, $2, $3, $4)
        ON CONFLICT (version) DO NOTHING RETURNING true
        """,
        parsed.version,
        parsed.source,
        parsed.sha256,
        len(parsed.entries),
    )
    if not inserted:
        return False
    await conn.copy_records_to_table(
        "sanctions_entries",
        columns=("version", "ref", "kind", "names", "birth_dates", "birth_years", "nationalities"),
        records=[
            (
                parsed.version,
                e.ref,
                e.kind,
                list(e.names),
                list(e.birth_dates),
                list(e.birth_years),
                list(e.nationalities),
            )
            for e in parsed.entries
        ],
    )
    return True


async def last_screening(conn: Connection, customer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM screenings WHERE customer_id = $1 ORDER BY id DESC LIMIT 1", customer_id
    )


async def record_screening(
    conn: Connection,
    customer_id: uuid.UUID,
    version: str,
    score: int,
    entry_ref: str | None,
    outcome: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO screenings (customer_id, list_version, score, entry_ref, outcome)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (customer_id, list_version) DO NOTHING
        """,
        customer_id,
        version,
        score,
        entry_ref,
        outcome,
    )


# --- eligibility checks and reservations ---------------------------------------------------


class Eligibility:
    """The rows a batch of eligibility commands decides on, locked up front in one query
    each and always in one order, customers then checks (no two batches wait on each other
    in a cycle); a check the transaction writes is read again."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.customers = KeyedRows(self._locker("customers", "customer_id"))
        """Locked: serialises every decision about one customer (limit reservations above
        all) across replicas."""
        self.checks = KeyedRows(self._locker("eligibility_checks", "redemption_id"))
        """Locked; a check the transaction writes must be forgotten, to be read again."""

    def _locker(self, table: str, key: str) -> Read[uuid.UUID, asyncpg.Record]:
        async def lock(ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, asyncpg.Record]]:
            rows = await self._conn.fetch(
                f"SELECT * FROM {table} WHERE {key} = ANY($1::uuid[]) ORDER BY {key} FOR UPDATE",
                ids,
            )
            return [(row[key], row) for row in rows]

        return lock

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged; what it read ends with the transaction."""
        self.customers.clear()
        self.checks.clear()


@dataclass(frozen=True, slots=True)
class Redeeming:
    """What an eligibility check reads besides the customer, in one round trip."""

    wallet: asyncpg.Record | None
    beneficiary_customer_id: uuid.UUID | None
    """None: no account under the id."""
    beneficiary_state: str | None
    reserved_minor: int


async def redeeming(
    conn: Connection, wallet_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID
) -> Redeeming:
    """The wallet (or None), the beneficiary account's owner and state, and the customer's
    live reservations of the rolling window. Read after the customer's row lock: its
    snapshot then sees every reservation committed before the lock was granted."""
    row = await conn.fetchrow(
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
    return Redeeming(
        wallet=row if row["wallet_id"] is not None else None,
        beneficiary_customer_id=row["beneficiary_customer_id"],
        beneficiary_state=row["beneficiary_state"],
        reserved_minor=int(row["reserved_minor"]),
    )


async def insert_check(
    conn: Connection,
    redemption_id: uuid.UUID,
    *,
    outcome: str,
    customer_id: uuid.UUID | None = None,
    wallet_id: uuid.UUID | None = None,
    amount_minor: int | None = None,
    reason: str | None = None,
    detail: str | None = None,
    tier: str | None = None,
    reservation_id: uuid.UUID | None = None,
    beneficiary_account_id: uuid.UUID | None = None,
) -> bool:
    """False when a row for this redemption appeared meanwhile (a concurrent release)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO eligibility_checks (redemption_id, customer_id, wallet_id, amount_minor,
                                        outcome, reason, detail, tier, reservation_id,
                                        beneficiary_account_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (redemption_id) DO NOTHING RETURNING true
        """,
        redemption_id,
        customer_id,
        wallet_id,
        amount_minor,
        outcome,
        reason,
        detail,
        tier,
        reservation_id,
        beneficiary_account_id,
    )
    return bool(inserted)


async def release_check(conn: Connection, redemption_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE eligibility_checks SET outcome = 'released', released_at = now() "
        "WHERE redemption_id = $1 AND outcome = 'reserved'",
        redemption_id,
    )
