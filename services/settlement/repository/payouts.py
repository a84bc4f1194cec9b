"""Payouts: one per redemption or refunded deposit, their state (domain/payouts.py) and
return cases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import asyncpg

from schemas import Money
from schemas.settlement import BankAccount
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit
from services.settlement.domain.payouts import State, account_digest
from services.settlement.domain.rails import Rail


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

    async def set_state(
        self,
        payout_id: uuid.UUID,
        state: State,
        detail: str,
        *,
        bank_reference: str | None = None,
        settled_at: dt.datetime | None = None,
    ) -> None:
        await self._connection.execute(
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
        self,
        case_id: uuid.UUID,
        payout_id: uuid.UUID,
        bank_reference: str,
        amount: Money,
        reason: str,
        returned_at: dt.datetime,
    ) -> None:
        await self._connection.execute(
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

    async def of_deposit(self, deposit_id: uuid.UUID) -> bool:
        """A refund of this deposit was ordered once (whatever became of it)."""
        return bool(
            await self._connection.fetchval(
                "SELECT 1 FROM payouts WHERE deposit_id = $1", deposit_id
            )
        )

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


async def unanswered(connection: Connection, older_than: dt.timedelta) -> list[Payout]:
    """Payouts the bank gave no answer for, submitted more than `older_than` ago."""
    rows = await connection.fetch(
        "SELECT * FROM payouts WHERE state = 'unknown' AND submitted_at < now() - $1::interval"
        " ORDER BY submitted_at LIMIT 500",
        older_than,
    )
    return [Payout.of(row) for row in rows]
