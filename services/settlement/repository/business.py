"""Deposits, payouts, their history, bank notices and statements, the KYC and supply views."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, cast

import asyncpg

from schemas import Money
from schemas.sealed import Sealed
from schemas.settlement import BankAccount
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit
from services.settlement.domain.payouts import State, account_digest
from services.settlement.domain.rails import Rail

# --- rows ----------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: uuid.UUID
    kind: str
    redemption_id: uuid.UUID | None
    deposit_id: uuid.UUID | None
    amount: Money
    par: Money
    beneficiary: BankAccount | None
    """In memory only: a refund's payer, for the order (the row keeps its digest,
    beneficiary_digest); None for a redemption's payout, which names its account on file."""
    beneficiary_account_id: uuid.UUID | None
    rail: Rail | None
    bank_reference: str | None
    state: State
    detail: str
    requested_at: dt.datetime
    submitted_at: dt.datetime

    @classmethod
    def of(cls, row: asyncpg.Record) -> Payout:
        return cls(
            payout_id=row["payout_id"],
            kind=row["kind"],
            redemption_id=row["redemption_id"],
            deposit_id=row["deposit_id"],
            amount=Money(amount_minor=row["amount_minor"], currency=row["currency"]),
            par=Money(amount_minor=row["par_minor"], currency="CNH"),
            beneficiary=None,
            beneficiary_account_id=row["beneficiary_account_id"],
            rail=cast("Rail | None", row["rail"]),  # a string: no Union built per row
            bank_reference=row["bank_reference"],
            state=cast(State, row["state"]),
            detail=row["detail"],
            requested_at=row["requested_at"],
            submitted_at=row["submitted_at"],
        )


# --- history and anomalies -----------------------------------------------------------------


class History:
    """State changes of deposits and payouts, with who made them and why: collected in the
    transaction and written in one statement just before it commits (a staged writer)."""

    _INSERT = BulkStatement.insert_into(
        "history", subject="text", subject_id="uuid", from_state="text", to_state="text",
        actor="text", cause="text", detail="text",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[tuple[str, uuid.UUID, str | None, str, str, str, str]] = []

    def record(
        self,
        subject: str,
        subject_id: uuid.UUID,
        from_state: str | None,
        to_state: str,
        actor: str,
        cause: str,
        detail: str = "",
    ) -> None:
        self._rows.append((subject, subject_id, from_state, to_state, actor, cause, detail))

    async def flush(self, commit: AtCommit) -> None:
        rows, self._rows = self._rows, []
        commit.write_at_commit(self._INSERT, rows)


async def record_anomaly(connection: Connection, kind: str, reference: str, detail: str) -> None:
    await connection.execute(
        "INSERT INTO anomalies (kind, reference, detail) VALUES ($1, $2, $3)",
        kind,
        reference,
        detail,
    )


# --- wallets (kyc view) ------------------------------------------------------------------


async def register_wallet(
    connection: Connection, reference: str, customer_id: uuid.UUID, wallet_id: uuid.UUID
) -> bool:
    """True if recorded (or already recorded the same way); False on a conflicting one."""
    row = await connection.fetchrow(
        """
        INSERT INTO wallets (deposit_reference, customer_id, wallet_id) VALUES ($1, $2, $3)
        ON CONFLICT (deposit_reference) DO UPDATE SET deposit_reference = EXCLUDED.deposit_reference
        RETURNING customer_id, wallet_id
        """,
        reference,
        customer_id,
        wallet_id,
    )
    assert row is not None
    return bool(row["customer_id"] == customer_id and row["wallet_id"] == wallet_id)


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


async def wallet_for(connection: Connection, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    row = await connection.fetchrow(
        "SELECT customer_id, wallet_id FROM wallets WHERE deposit_reference = $1", reference
    )
    return (row["customer_id"], row["wallet_id"]) if row else None


# --- deposits ------------------------------------------------------------------------------


async def insert_deposit(
    connection: Connection,
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
    inserted = await connection.fetchval(
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
        self.locked = KeyedRows(self._lock)
        self._changed: dict[uuid.UUID, tuple[str, str | None, str]] = {}

    async def _lock(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Deposit]]:
        rows = await self._connection.fetch(
            "SELECT * FROM deposits WHERE deposit_id = ANY($1::uuid[])"
            " ORDER BY deposit_id FOR UPDATE",
            deposit_ids,
        )
        return [(row["deposit_id"], Deposit.of(row)) for row in rows]

    def set_state(
        self, deposit: Deposit, state: str, reason: str | None = None, detail: str = ""
    ) -> None:
        kept = reason if reason is not None else deposit.reason  # as coalesce() would
        changed = replace(deposit, state=state, reason=kept)
        self.locked.put(deposit.deposit_id, changed)
        self._changed[deposit.deposit_id] = (state, changed.reason, detail)

    async def flush(self, commit: AtCommit) -> None:
        changed, self._changed = self._changed, {}
        self.locked.clear()
        commit.write_at_commit(
            self._SET_STATES, [(deposit_id, *change) for deposit_id, change in changed.items()]
        )


async def deposit_for_update(connection: Connection, deposit_id: uuid.UUID) -> Deposit | None:
    row = await connection.fetchrow(
        "SELECT * FROM deposits WHERE deposit_id = $1 FOR UPDATE", deposit_id
    )
    return Deposit.of(row) if row else None


async def set_deposit_state(
    connection: Connection,
    deposit_id: uuid.UUID,
    state: str,
    reason: str | None = None,
    detail: str = "",
    mint_command_id: uuid.UUID | None = None,
) -> None:
    await connection.execute(
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
    connection: Connection,
    deposit_id: uuid.UUID,
    owner: tuple[uuid.UUID, uuid.UUID],
    mint_command_id: uuid.UUID,
) -> None:
    """The deposit is matched to a wallet and a mint was asked for (again)."""
    await connection.execute(
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


async def suspended_unmatched(connection: Connection, reference: str) -> list[Deposit]:
    """Suspended deposits whose remittance text named `reference` (a wallet KYC has just
    registered): they arrived before settlement knew the reference."""
    rows = await connection.fetch(
        """
        SELECT * FROM deposits
         WHERE state = 'suspended' AND reason = 'unmatched_reference'
           AND deposit_reference = $1
           FOR UPDATE
        """,
        reference,
    )
    return [Deposit.of(row) for row in rows]


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


# --- payouts -------------------------------------------------------------------------------


class PayoutBook:
    """The payouts of a transaction's redemptions, locked and read for a whole batch in one
    query (`lock_all`); a payout this transaction records is kept here too, and written with
    the others in one statement just before the commit (a new payout is recorded in its
    final state: the bank has answered by then)."""

    _INSERT = BulkStatement.insert_into(
        "payouts", payout_id="uuid", kind="text", redemption_id="uuid", deposit_id="uuid",
        amount_minor="int8", currency="text", par_minor="int8", beneficiary_digest="text",
        beneficiary_account_id="uuid", rail="text", bank_reference="text", state="text",
        detail="text", requested_at="timestamptz",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._locked = KeyedRows(self._lock_by_redemption)
        """By redemption, locked or recorded by this transaction: its current state."""
        self._locked_by_id = KeyedRows(self._lock_by_id)
        """By payout id, locked (the bank's notices name the payout, not the redemption)."""
        self._read = KeyedRows(self._read_unlocked)
        """By redemption, only read (releases and queries): as committed when it was read."""
        self._new: list[Payout] = []

    async def _read_unlocked(
        self, redemption_ids: list[uuid.UUID]
    ) -> list[tuple[uuid.UUID, Payout]]:
        rows = await self._connection.fetch(
            "SELECT * FROM payouts WHERE redemption_id = ANY($1::uuid[])", redemption_ids
        )
        return [(row["redemption_id"], Payout.of(row)) for row in rows]

    async def _lock_by_redemption(
        self, redemption_ids: list[uuid.UUID]
    ) -> list[tuple[uuid.UUID, Payout]]:
        rows = await self._connection.fetch(
            # payout id order, as by payout id: batches of commands and of bank notices
            # lock the same payouts in the same order
            "SELECT * FROM payouts WHERE redemption_id = ANY($1::uuid[])"
            " ORDER BY payout_id FOR UPDATE",
            redemption_ids,
        )
        return [(row["redemption_id"], Payout.of(row)) for row in rows]

    async def _lock_by_id(self, payout_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Payout]]:
        rows = await self._connection.fetch(
            "SELECT * FROM payouts WHERE payout_id = ANY($1::uuid[]) ORDER BY payout_id FOR UPDATE",
            payout_ids,
        )
        return [(row["payout_id"], Payout.of(row)) for row in rows]

    async def read_all(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        """Read, without locking, the payouts a batch only checks, in one query."""
        await self._read.load(r for r in redemption_ids if r not in self._locked)

    async def lock_all(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        await self._locked.load(redemption_ids)

    async def lock_by_id(self, payout_ids: Iterable[uuid.UUID]) -> None:
        """Lock and read payouts by payout id, in the same order as `lock_all`."""
        await self._locked_by_id.load(payout_ids)

    async def locked(self, payout_id: uuid.UUID) -> Payout | None:
        """The payout with this id, locked for a change (read once per batch)."""
        return await self._locked_by_id.get(payout_id)

    async def get(self, redemption_id: uuid.UUID, *, lock: bool = True) -> Payout | None:
        """The payout, locked (as one about to change) or only read (as a release checks
        it: a lock there would make releases queue behind the bank's notices)."""
        if redemption_id in self._locked:
            return self._locked.known(redemption_id)
        if not lock:
            return await self._read.get(redemption_id)
        return await self._locked.get(redemption_id)

    def exists(self, redemption_id: uuid.UUID) -> bool:
        """A payout was found (locked) or recorded for it in this transaction."""
        return self._locked.known(redemption_id) is not None

    def forget(self, payout: Payout) -> None:
        """It changed: the next `get` or `locked` reads it again."""
        self._locked_by_id.forget(payout.payout_id)
        if payout.redemption_id is not None:
            self._locked.forget(payout.redemption_id)
            self._read.forget(payout.redemption_id)

    def add(self, payout: Payout) -> None:
        self._new.append(payout)
        self._locked_by_id.put(payout.payout_id, payout)
        if payout.redemption_id is not None:
            self._locked.put(payout.redemption_id, payout)

    async def flush(self, commit: AtCommit) -> None:
        """The new payouts; what it read ends with the batch."""
        new, self._new = self._new, []
        for rows in (self._locked, self._locked_by_id, self._read):
            rows.clear()
        commit.write_at_commit(
            self._INSERT,
            [
                (
                    p.payout_id, p.kind, p.redemption_id, p.deposit_id, p.amount.amount_minor,
                    p.amount.currency, p.par.amount_minor,
                    account_digest(p.beneficiary) if p.beneficiary else None,
                    p.beneficiary_account_id, p.rail, p.bank_reference, p.state, p.detail,
                    p.requested_at,
                )
                for p in new
            ],
        )  # fmt: skip


async def set_payout_state(
    connection: Connection,
    payout_id: uuid.UUID,
    state: State,
    detail: str,
    *,
    bank_reference: str | None = None,
    settled_at: dt.datetime | None = None,
) -> None:
    await connection.execute(
        """
        UPDATE payouts SET state = $2, detail = $3,
               bank_reference = coalesce(bank_reference, $4),
               settled_at = coalesce($5, settled_at), updated_at = now()
         WHERE payout_id = $1
        """,
        payout_id,
        state,
        detail,
        bank_reference,
        settled_at,
    )


async def open_return_case(
    connection: Connection,
    case_id: uuid.UUID,
    payout_id: uuid.UUID,
    bank_reference: str,
    amount: Money,
    reason: str,
    returned_at: dt.datetime,
) -> None:
    await connection.execute(
        """
        INSERT INTO payout_returns (case_id, payout_id, bank_reference, amount_minor, currency,
                                    reason, returned_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        case_id,
        payout_id,
        bank_reference,
        amount.amount_minor,
        amount.currency,
        reason,
        returned_at,
    )


# --- bank notices and statements -----------------------------------------------------------


class Notices:
    """The bank notices a transaction receives, written in one statement just before it
    commits, each with the outcome it was applied with (or pending, for reconciliation)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._received: dict[uuid.UUID, list[Any]] = {}

    def store(
        self,
        message_id: uuid.UUID,
        kind: str,
        bank_reference: str,
        end_to_end_id: uuid.UUID,
        body: dict[str, Any],
    ) -> None:
        self._received[message_id] = [kind, bank_reference, end_to_end_id, json.dumps(body), None]

    async def mark(self, message_id: uuid.UUID, outcome: str) -> None:
        """Record how the notice was applied (one received earlier: at once)."""
        if message_id in self._received:
            self._received[message_id][-1] = outcome
        else:
            await mark_notice(self._connection, message_id, outcome)

    async def flush(self, commit: AtCommit) -> None:
        received, self._received = self._received, {}
        commit.write_at_commit(
            _NOTICES, [(message_id, *notice) for message_id, notice in received.items()]
        )


_NOTICES = BulkStatement.over(
    """
    INSERT INTO bank_notices (message_id, kind, bank_reference, end_to_end_id, body,
                              applied_at, outcome)
    SELECT message_id, kind, bank_reference, end_to_end_id, body,
           CASE WHEN outcome IS NULL THEN NULL ELSE now() END, outcome
      FROM {rows}
    ON CONFLICT DO NOTHING
    """,
    message_id="uuid", kind="text", bank_reference="text", end_to_end_id="uuid",
    body="jsonb", outcome="text",
)  # fmt: skip


async def mark_notice(connection: Connection, message_id: uuid.UUID, outcome: str) -> None:
    await connection.execute(
        "UPDATE bank_notices SET applied_at = now(), outcome = $2 WHERE message_id = $1",
        message_id,
        outcome,
    )


async def pending_notices(connection: Connection, limit: int = 100) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT message_id, kind, body FROM bank_notices WHERE applied_at IS NULL
         ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED
        """,
        limit,
    )


async def store_statement_page(
    connection: Connection,
    statement_id: str,
    sequence: int,
    page: int,
    pages: int,
    account_number: str,
    period: tuple[dt.datetime, dt.datetime],
    lines: list[tuple[Any, ...]],
) -> bool:
    stored = await connection.fetchval(
        """
        INSERT INTO statements (statement_id, sequence, page, pages, account_number,
                                period_start, period_end)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true
        """,
        statement_id,
        sequence,
        page,
        pages,
        account_number,
        *period,
    )
    if stored and lines:
        await connection.executemany(
            """
            INSERT INTO statement_lines (statement_id, page, line_no, bank_reference,
                end_to_end_id, direction, amount_minor, currency, booked_at, description)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            [(statement_id, page, n, *line) for n, line in enumerate(lines, 1)],
        )
    return bool(stored)


async def statement_debits_for_open_payouts(connection: Connection) -> list[asyncpg.Record]:
    """Statement debits naming a payout whose outcome is still open (sent or unknown)."""
    return await connection.fetch(
        """
        SELECT l.statement_id, l.page, l.line_no, l.bank_reference, l.booked_at,
               p.payout_id
          FROM statement_lines l JOIN payouts p ON p.payout_id = l.end_to_end_id
         WHERE l.direction = 'debit' AND p.state IN ('sent', 'unknown')
         ORDER BY l.booked_at
        """
    )


async def unknown_payouts_absent_from_statements(
    connection: Connection, grace: dt.timedelta
) -> list[uuid.UUID]:
    """Payouts without an answer that no statement shows, although a statement starting
    `grace` after their submission has arrived complete, with every statement before it
    (no gap in the sequence): the bank never executed them."""
    rows = await connection.fetch(
        """
        WITH complete AS (
            SELECT statement_id, min(sequence) AS sequence, min(period_start) AS period_start
              FROM statements GROUP BY statement_id HAVING count(*) = min(pages)
        ), gapless AS (
            SELECT c.period_start FROM complete c
             WHERE (SELECT count(*) FROM complete d WHERE d.sequence <= c.sequence) = c.sequence
        )
        SELECT p.payout_id FROM payouts p
         WHERE p.state = 'unknown'
           AND NOT EXISTS (SELECT 1 FROM statement_lines l WHERE l.end_to_end_id = p.payout_id)
           AND EXISTS (SELECT 1 FROM gapless g
                        WHERE g.period_start >= p.submitted_at + $1::interval)
        """,
        grace,
    )
    return [r["payout_id"] for r in rows]


async def match_statement_line(
    connection: Connection, statement_id: str, page: int, line_no: int, payout_id: uuid.UUID
) -> None:
    await connection.execute(
        """
        UPDATE statement_lines SET matched_payout_id = $4
         WHERE statement_id = $1 AND page = $2 AND line_no = $3
        """,
        statement_id,
        page,
        line_no,
        payout_id,
    )


# --- supply (issuance view) and reserve releases -----------------------------------------


@dataclass(frozen=True, slots=True)
class SupplyMovement:
    movement_id: uuid.UUID
    """The mint id or the burn id."""
    kind: str
    amount_minor: int
    supply_after: int
    occurred_at: dt.datetime
    deposit_id: uuid.UUID | None = None
    """The deposit a mint was for (what backs it)."""
    redemption_id: uuid.UUID | None = None
    """The redemption a burn was for (what backs its payout)."""


class Supply:
    """Issuance's mints and burns as settlement sees them (for the attestation), written in
    one statement just before the transaction commits; a movement seen twice counts once."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[SupplyMovement] = []

    def record(self, movement: SupplyMovement) -> None:
        self._rows.append(movement)

    async def flush(self, commit: AtCommit) -> None:
        movements, self._rows = self._rows, []
        rows = [
            (m.movement_id, m.kind, m.amount_minor, m.supply_after, m.occurred_at, m.deposit_id,
             m.redemption_id)
            for m in movements
        ]  # fmt: skip
        commit.write_at_commit(_SUPPLY_MOVEMENTS, rows)


_SUPPLY_MOVEMENTS = BulkStatement.over(
    """
    INSERT INTO supply_movements (movement_id, kind, amount_minor, supply_after, occurred_at,
                                  deposit_id, redemption_id)
    SELECT * FROM {rows}
    ON CONFLICT DO NOTHING
    """,
    movement_id="uuid", kind="text", amount_minor="int8", supply_after="int8",
    occurred_at="timestamptz", deposit_id="uuid", redemption_id="uuid",
)  # fmt: skip


async def supply(connection: Connection) -> int:
    """Tokens in circulation (minor units): minted minus burned, whatever order the events
    arrived in across partitions."""
    value = await connection.fetchval(
        """
        SELECT coalesce(sum(CASE kind WHEN 'minted' THEN amount_minor ELSE -amount_minor END), 0)
          FROM supply_movements
        """
    )
    return int(value)


@dataclass(frozen=True, slots=True)
class Release:
    amount_minor: int
    reserve_after: int


class Releases:
    """The reserve releases of a transaction's redemptions: those already made, read for a
    whole batch in one query (`made.load`), and the new ones, written in one statement just
    before the commit (their entries' reference is checked at the commit)."""

    _INSERT = BulkStatement.insert_into(
        "reserve_releases", redemption_id="uuid", amount_minor="int8", reserve_after="int8",
        entry_id="uuid",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.made = KeyedRows(self._read)
        self._new: list[tuple[uuid.UUID, int, int, uuid.UUID]] = []

    async def _read(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Release]]:
        rows = await self._connection.fetch(
            "SELECT redemption_id, amount_minor, reserve_after FROM reserve_releases"
            " WHERE redemption_id = ANY($1::uuid[])",
            redemption_ids,
        )
        return [
            (row["redemption_id"], Release(row["amount_minor"], row["reserve_after"]))
            for row in rows
        ]

    def record(
        self, redemption_id: uuid.UUID, amount_minor: int, reserve_after: int,
        entry_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self.made.put(redemption_id, Release(amount_minor, reserve_after))
        self._new.append((redemption_id, amount_minor, reserve_after, entry_id))

    async def flush(self, commit: AtCommit) -> None:
        # one release per redemption: the primary key refuses a second one (a concurrent
        # duplicate waits on it, fails, and its retry finds this one's answer)
        rows, self._new = self._new, []
        self.made.clear()
        commit.write_at_commit(self._INSERT, rows)
