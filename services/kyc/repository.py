"""KYC's SQL: one function per query. Every function runs in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from services.kyc.crypto import Sealed
from services.kyc.domain.lists import KnownVersion, ParsedList
from services.kyc.domain.screening import SanctionsEntry
from services.kyc.domain.text import NameKeys
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


async def sealed_under_other_keys(
    conn: Connection, active_key_id: str, limit: int
) -> list[asyncpg.Record]:
    """Customers whose particulars another key than the active one encrypted, locked."""
    return await conn.fetch(
        """
        SELECT customer_id, kind, pii_key_id, pii_ciphertext FROM customers
         WHERE pii_key_id <> $1 ORDER BY customer_id LIMIT $2 FOR UPDATE SKIP LOCKED
        """,
        active_key_id,
        limit,
    )


async def accounts_under_other_keys(
    conn: Connection, active_key_id: str, limit: int
) -> list[asyncpg.Record]:
    """Bank accounts whose details another key than the active one encrypted, locked."""
    return await conn.fetch(
        """
        SELECT account_id, customer_id, pii_key_id, pii_ciphertext FROM bank_accounts
         WHERE pii_key_id <> $1 ORDER BY account_id LIMIT $2 FOR UPDATE SKIP LOCKED
        """,
        active_key_id,
        limit,
    )


async def reseal_account(conn: Connection, account_id: uuid.UUID, sealed: Sealed) -> None:
    await conn.execute(
        "UPDATE bank_accounts SET pii_key_id = $2, pii_ciphertext = $3 WHERE account_id = $1",
        account_id,
        sealed.key_id,
        sealed.blob,
    )


async def reseal_customer(conn: Connection, customer_id: uuid.UUID, sealed: Sealed) -> None:
    await conn.execute(
        "UPDATE customers SET pii_key_id = $2, pii_ciphertext = $3 WHERE customer_id = $1",
        customer_id,
        sealed.key_id,
        sealed.blob,
    )


async def customers_to_rescreen(
    conn: Connection, *, unless_screened_with: str | None = None
) -> list[asyncpg.Record]:
    """Customers a list change can still change (not rejected), locked; with
    `unless_screened_with`, only those whose last screening used other lists."""
    if unless_screened_with is None:
        return await conn.fetch(
            "SELECT * FROM customers WHERE status <> 'rejected' ORDER BY customer_id FOR UPDATE"
        )
    return await conn.fetch(
        """
        SELECT c.* FROM customers c
         WHERE c.status <> 'rejected'
           AND (SELECT s.list_version FROM screenings s WHERE s.customer_id = c.customer_id
                 ORDER BY s.id DESC LIMIT 1) IS DISTINCT FROM $1
         ORDER BY c.customer_id FOR UPDATE
        """,
        unless_screened_with,
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
    proof_signature: str | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO wallets (wallet_id, customer_id, address, deposit_reference,
                             proof_of_control, proof_signature)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        wallet_id,
        customer_id,
        address,
        deposit_reference,
        proof_of_control,
        proof_signature,
    )


async def verify_wallet(
    conn: Connection, wallet_id: uuid.UUID, proof_signature: str | None
) -> None:
    await conn.execute(
        """
        UPDATE wallets SET proof_of_control = 'verified', proof_signature = $2, updated_at = now()
         WHERE wallet_id = $1
        """,
        wallet_id,
        proof_signature,
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

_SANCTIONS_LOCK = 0x6B79_6373_616E_6374  # "kycsanct": any advisory lock id, fixed
"""Held by whoever changes the active lists, so loads and re-activations (any replica,
any operator) apply one after the other, each re-screening against what it activated."""


async def lock_sanctions(conn: Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _SANCTIONS_LOCK)


async def share_sanctions_lock(conn: Connection) -> None:
    """Screening against the active lists: any number at once, never during a change."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _SANCTIONS_LOCK)


async def catalogue(conn: Connection) -> list[KnownVersion]:
    """Every list version loaded, active or not (a few rows per source and publication)."""
    rows = await conn.fetch("SELECT version, source, sha256, active FROM sanctions_lists")
    return [KnownVersion(r["version"], r["source"], r["sha256"], r["active"]) for r in rows]


async def active_lists(conn: Connection) -> list[asyncpg.Record]:
    """The version each source screens with, and the key version its entries were keyed by."""
    return await conn.fetch(
        "SELECT version, keys_version FROM sanctions_lists WHERE active ORDER BY version"
    )


async def sanctions_versions(conn: Connection) -> list[asyncpg.Record]:
    """Every version for the operators' listing: the active one of each source first."""
    return await conn.fetch(
        """
        SELECT version, source, published, sha256, entries, loaded_at, activated_at, active
          FROM sanctions_lists ORDER BY source, active DESC, loaded_seq DESC
        """
    )


async def list_entries(
    conn: Connection, versions: list[str], keys_version: str
) -> list[SanctionsEntry]:
    """The entries of `versions`, with their stored keys where they were computed under
    `keys_version` (otherwise without: the screener computes them again)."""
    rows = await conn.fetch(
        """
        SELECT e.*, l.keys_version = $2 AS keyed
          FROM sanctions_entries e JOIN sanctions_lists l USING (version)
         WHERE e.version = ANY($1::text[])
         ORDER BY e.version, e.ref
        """,
        versions,
        keys_version,
    )
    return [
        SanctionsEntry(
            ref=r["ref"],
            kind=r["kind"],
            names=tuple(r["names"]),
            birth_dates=tuple(r["birth_dates"]),
            birth_years=tuple(r["birth_years"]),
            nationalities=tuple(r["nationalities"]),
            version=r["version"],
            keys=tuple(map(NameKeys, r["keys_plain"], r["keys_lower"], r["keys_upper"]))
            if r["keyed"]
            else (),
        )
        for r in rows
    ]


async def insert_list(conn: Connection, parsed: ParsedList, keys_version: str) -> None:
    """A new version, inactive until `activate`; its entries by COPY."""
    await conn.execute(
        """
        INSERT INTO sanctions_lists (version, source, sha256, entries, published, keys_version)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        parsed.version,
        parsed.source,
        parsed.sha256,
        len(parsed.entries),
        parsed.published or None,
        keys_version,
    )
    await conn.copy_records_to_table(
        "sanctions_entries",
        columns=(
            "version",
            "ref",
            "kind",
            "names",
            "birth_dates",
            "birth_years",
            "nationalities",
            "keys_plain",
            "keys_lower",
            "keys_upper",
        ),
        records=[
            (
                parsed.version,
                e.ref,
                e.kind,
                list(e.names),
                list(e.birth_dates),
                list(e.birth_years),
                list(e.nationalities),
                [k.plain for k in e.keys],
                [k.lower for k in e.keys],
                [k.upper for k in e.keys],
            )
            for e in parsed.entries
        ],
    )


async def activate(conn: Connection, version: str, replaces: str | None) -> None:
    """`version` becomes its source's active version in place of `replaces` (two
    statements: the one-active-per-source index is checked row by row)."""
    if replaces is not None:
        await conn.execute("UPDATE sanctions_lists SET active = false WHERE version = $1", replaces)
    await conn.execute(
        "UPDATE sanctions_lists SET active = true, activated_at = now() WHERE version = $1",
        version,
    )


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
    entry_version: str | None = None,
) -> None:
    """`version`: what was screened against (every active list); `entry_version`: the
    list the best match is on."""
    await conn.execute(
        """
        INSERT INTO screenings (customer_id, list_version, score, entry_ref, outcome,
                                entry_version)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (customer_id, list_version) DO NOTHING
        """,
        customer_id,
        version,
        score,
        entry_ref,
        outcome,
        entry_version,
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
    signature: str | None = None,
    beneficiary_account_id: uuid.UUID | None = None,
) -> bool:
    """False when a row for this redemption appeared meanwhile (a concurrent release)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO eligibility_checks (redemption_id, customer_id, wallet_id, amount_minor,
                                        outcome, reason, detail, tier, reservation_id,
                                        signature, beneficiary_account_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
        signature,
        beneficiary_account_id,
    )
    return bool(inserted)


async def release_check(conn: Connection, redemption_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE eligibility_checks SET outcome = 'released', released_at = now() "
        "WHERE redemption_id = $1 AND outcome = 'reserved'",
        redemption_id,
    )
