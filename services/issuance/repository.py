"""The ledger's SQL: one function per query. Every balance change locks the accounts it
touches (SELECT ... FOR UPDATE, wallet before issuer totals) inside the caller's transaction;
the database's CHECK constraints refuse a negative wallet or hold whatever the code does."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from services.issuance.domain.holds import Hold, HoldState
from services.issuance.domain.ledger import (
    ISSUER_BURNED,
    ISSUER_MINTED,
    Movement,
    hold_account,
    hold_id,
    wallet_account,
)
from services.issuance.domain.supply import Supply
from services.issuance.domain.views import CustomerStatus, CustomerView, DepositView, WalletView
from services.runtime.db import BulkStatement, Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit

# --- the KYC view ---------------------------------------------------------------------------


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


async def customer(conn: Connection, customer_id: uuid.UUID) -> CustomerView | None:
    row = await conn.fetchrow(
        "SELECT status, frozen FROM customers WHERE customer_id = $1", customer_id
    )
    return CustomerView(customer_id, row["status"], row["frozen"]) if row else None


# --- the view of settlement's facts: deposits and the reserve ---------------------------------


class Deposits:
    """The deposits settlement told of: read for a mint batch in one query (`rows.load`);
    written by the facts' batch in one statement at its commit (the last fact of a deposit
    in the batch wins: they come in order, on the deposit's key)."""

    _UPSERT = BulkStatement.over(
        """
        INSERT INTO deposits (deposit_id, customer_id, wallet_id, tokens, updated_by)
        SELECT * FROM {rows}
        ON CONFLICT (deposit_id) DO UPDATE
           SET customer_id = EXCLUDED.customer_id, wallet_id = EXCLUDED.wallet_id,
               tokens = EXCLUDED.tokens, updated_by = EXCLUDED.updated_by, updated_at = now()
        """,
        deposit_id="uuid", customer_id="uuid", wallet_id="uuid", tokens="int8",
        updated_by="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.rows = KeyedRows(self._read)
        self._matched: dict[uuid.UUID, tuple[object, ...]] = {}

    async def _read(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, DepositView]]:
        rows = await self._conn.fetch(
            "SELECT deposit_id, customer_id, wallet_id, tokens, refunded FROM deposits"
            " WHERE deposit_id = ANY($1::uuid[])",
            deposit_ids,
        )
        return [(row["deposit_id"], DepositView(**dict(row))) for row in rows]

    async def wait_for(self, deposit_ids: Iterable[uuid.UUID], timeout_s: float) -> None:
        """Give the facts of a batch's deposits up to `timeout_s` to arrive: they travel on
        settlement.events, read by another consumer, and usually follow within moments.
        Called before any lock is taken, so waiting holds nothing up but this batch."""
        missing = set(deposit_ids)
        deadline = time.monotonic() + timeout_s
        while missing:
            found = await self._conn.fetch(
                "SELECT deposit_id FROM deposits WHERE deposit_id = ANY($1::uuid[])",
                list(missing),
            )
            missing -= {row["deposit_id"] for row in found}
            if not missing or time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.02)

    def matched(self, deposit: DepositView, event_id: uuid.UUID) -> None:
        self._matched[deposit.deposit_id] = (
            deposit.deposit_id, deposit.customer_id, deposit.wallet_id, deposit.tokens, event_id,
        )  # fmt: skip

    async def refunded(self, deposit_id: uuid.UUID, event_id: uuid.UUID) -> None:
        """Never minted for after this (a deposit never matched has no row: nothing to mark,
        a mint for it is refused as unknown)."""
        await self.flush_matched()
        await self._conn.execute(
            "UPDATE deposits SET refunded = true, updated_by = $2, updated_at = now()"
            " WHERE deposit_id = $1",
            deposit_id,
            event_id,
        )

    async def flush_matched(self) -> None:
        rows, self._matched = list(self._matched.values()), {}
        await self._UPSERT.run(self._conn, rows)

    async def flush(self, commit: AtCommit) -> None:
        self.rows.clear()
        await self.flush_matched()


class Reserve:
    """The CNH reserve as settlement's ReserveMoved facts tell it. A facts' batch records
    its movements (each journal entry once) and moves the balance by their sum, in one
    statement; a mint batch reads the balance with a shared lock, so no movement lands
    between its check and its commit."""

    _MOVE = BulkStatement.over(
        """
        WITH moved AS (
            INSERT INTO reserve_movements (entry_id, direction, amount, cause, deposit_id,
                                           redemption_id, event_id)
            SELECT * FROM {rows}
            ON CONFLICT (entry_id) DO NOTHING
            RETURNING CASE WHEN direction = 'in' THEN amount ELSE -amount END AS change
        )
        UPDATE reserve SET balance = balance + (SELECT coalesce(sum(change), 0) FROM moved),
                           updated_at = now()
        """,
        entry_id="uuid", direction="text", amount="int8", cause="text", deposit_id="uuid",
        redemption_id="uuid", event_id="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._balance: int | None = None
        self._moves: list[tuple[object, ...]] = []

    async def balance(self) -> int:
        """The reserve in fen, read once per transaction (locked FOR SHARE)."""
        if self._balance is None:
            self._balance = int(await self._conn.fetchval("SELECT balance FROM reserve FOR SHARE"))
        return self._balance

    def moved(
        self, entry_id: uuid.UUID, direction: Literal["in", "out"], amount_fen: int, cause: str,
        deposit_id: uuid.UUID | None, redemption_id: uuid.UUID | None, event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self._moves.append(
            (entry_id, direction, amount_fen, cause, deposit_id, redemption_id, event_id)
        )

    async def flush(self, commit: AtCommit) -> None:
        moves, self._moves = self._moves, []
        self._balance = None
        await self._MOVE.run(self._conn, moves)


# --- locks ----------------------------------------------------------------------------------


class Balances:
    """The balances of the accounts a transaction locked, kept in step with its movements.

    A batch's `prepare` locks the issuer's totals and its wallets up front (the issuer's
    first, then the wallets in account order, so no two batches wait on each other in a
    cycle); the handlers then read balances from here, not with a locking read each (a
    mint, a hold and a burn each asked one or two). Every balance change of the
    transaction goes through `post`, which moves the balances here too, so they stay what
    the table says; the locks keep every other transaction out until the commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows = KeyedRows(self._lock)

    async def _lock(self, accounts: list[str], descending: bool = False) -> list[tuple[str, int]]:
        order = "DESC" if descending else "ASC"
        rows = await self._conn.fetch(
            "SELECT account, balance FROM accounts WHERE account = ANY($1::text[])"
            f" ORDER BY account {order} FOR UPDATE",
            accounts,
        )
        return [(row["account"], row["balance"]) for row in rows]

    async def lock(self, accounts: Iterable[str]) -> None:
        """Lock and read the accounts not locked yet, in one query, in account order. A
        wallet's lock also orders concurrent holds and mints of one wallet across replicas,
        whatever partition a command took."""
        await self._rows.load(accounts)

    async def of(self, account: str) -> int | None:
        """The locked account's balance, or None without such an account."""
        return await self._rows.get(account)

    async def issuer(self) -> tuple[int, int]:
        """The minted and burned totals, locked (always in this order, minted first: the
        reverse of account order): mints and burns serialise here, so the supply a mint
        checks against the reserve is exact."""
        wanted = [a for a in (ISSUER_MINTED, ISSUER_BURNED) if a not in self._rows]
        if wanted:
            for account, balance in await self._lock(wanted, descending=True):
                self._rows.put(account, balance)
        minted, burned = self._rows.known(ISSUER_MINTED), self._rows.known(ISSUER_BURNED)
        assert minted is not None, "the issuer's accounts exist"
        assert burned is not None, "the issuer's accounts exist"
        return -minted, burned

    def moved(self, movement: Movement) -> None:
        for account, change in (
            (movement.credit, movement.amount),
            (movement.debit, -movement.amount),
        ):
            balance = self._rows.known(account)
            if balance is not None:
                self._rows.put(account, balance + change)

    async def flush(self, commit: AtCommit) -> None:
        """Nothing to write: the movements wrote the balances."""
        self._rows.clear()


# --- movements ------------------------------------------------------------------------------


async def post(
    conn: Connection, movement: Movement, command_id: uuid.UUID, correlation_id: uuid.UUID
) -> None:
    """Journal one movement and apply it to both accounts, in one statement. The accounts
    must be locked by the caller already; their CHECK constraints refuse an overdraft."""
    status = await conn.execute(
        """
        WITH journal AS (
            INSERT INTO movements (movement_id, kind, debit_account, credit_account, amount,
                                   wallet_id, deposit_id, redemption_id, command_id,
                                   correlation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        )
        UPDATE accounts
           SET balance = balance + CASE WHEN account = $4 THEN $5::bigint ELSE -$5::bigint END
         WHERE account IN ($3, $4)
        """,
        movement.movement_id, movement.kind, movement.debit, movement.credit, movement.amount,
        movement.wallet_id, movement.deposit_id, movement.redemption_id, command_id,
        correlation_id,
    )  # fmt: skip
    if status != "UPDATE 2":
        raise RuntimeError(f"movement {movement.movement_id}: accounts missing ({status})")


# --- mints ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MintRow:
    mint_id: uuid.UUID
    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: int
    supply_after: int


class Mints:
    """The mints of a transaction's deposits: those made before, read for a whole batch in
    one query (`rows.load`), and the new ones, written in one statement just before the
    commit (one mint per deposit: the unique deposit id refuses a second one)."""

    _INSERT = BulkStatement.insert_into(
        "mints", mint_id="uuid", deposit_id="uuid", customer_id="uuid", wallet_id="uuid",
        amount="int8", reserve_cnh="int8", supply_after="int8", command_id="uuid",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.rows = KeyedRows(self._read)
        self._new: list[tuple[object, ...]] = []

    async def _read(self, deposit_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, MintRow]]:
        rows = await self._conn.fetch(
            "SELECT mint_id, deposit_id, customer_id, wallet_id, amount, supply_after"
            " FROM mints WHERE deposit_id = ANY($1::uuid[])",
            deposit_ids,
        )
        return [(row["deposit_id"], MintRow(**dict(row))) for row in rows]

    def record(self, mint: MintRow, reserve_cnh: int, command_id: uuid.UUID) -> None:
        self.rows.put(mint.deposit_id, mint)
        self._new.append((
            mint.mint_id, mint.deposit_id, mint.customer_id, mint.wallet_id, mint.amount,
            reserve_cnh, mint.supply_after, command_id,
        ))  # fmt: skip

    async def flush(self, commit: AtCommit) -> None:
        rows, self._new = self._new, []
        self.rows.clear()
        commit.write_at_commit(self._INSERT, rows)


# --- holds and burns ------------------------------------------------------------------------


class Holds:
    """The holds of a transaction's redemptions, locked and read for a whole batch in one
    query (`locked.load`, in redemption order); a hold the transaction changes is read
    again."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.locked = KeyedRows(self._lock)

    async def _lock(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Hold]]:
        rows = await self._conn.fetch(
            "SELECT redemption_id, state, hold_id, wallet_id, amount FROM holds"
            " WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id FOR UPDATE",
            redemption_ids,
        )
        return [
            (row["redemption_id"], Hold(
                row["redemption_id"], HoldState(row["state"]), row["hold_id"],
                row["wallet_id"], row["amount"],
            ))
            for row in rows
        ]  # fmt: skip

    async def open(
        self, redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int,
        command_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self.locked.forget(redemption_id)
        await open_hold(
            self._conn, redemption_id, hold_id(redemption_id), wallet_id, amount, command_id
        )

    async def cancel(self, redemption_id: uuid.UUID, command_id: uuid.UUID) -> None:
        self.locked.forget(redemption_id)
        await record_cancellation(self._conn, redemption_id, command_id)

    async def close(
        self, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
    ) -> None:
        self.locked.forget(redemption_id)
        await close_hold(self._conn, redemption_id, state, command_id)

    async def burn(self, burn: BurnRow, command_id: uuid.UUID) -> None:
        """The burn's record and its hold closed as burned, in one statement."""
        self.locked.forget(burn.redemption_id)
        status = await self._conn.execute(
            """
            WITH burned AS (
                INSERT INTO burns (burn_id, redemption_id, wallet_id, amount, supply_after,
                                   command_id)
                VALUES ($1, $2, $3, $4, $5, $6)
            )
            UPDATE holds SET state = 'burned', burned_by = $6, updated_at = now()
             WHERE redemption_id = $2 AND state = 'placed'
            """,
            burn.burn_id, burn.redemption_id, burn.wallet_id, burn.amount, burn.supply_after,
            command_id,
        )  # fmt: skip
        if status != "UPDATE 1":
            raise RuntimeError(f"hold of {burn.redemption_id} was not placed")

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged (a hold is written at once); what it read ends with the batch."""
        self.locked.clear()


async def open_hold(
    conn: Connection, redemption_id: uuid.UUID, hold_id: uuid.UUID, wallet_id: uuid.UUID,
    amount: int, command_id: uuid.UUID,
) -> None:  # fmt: skip
    """The hold's record and its (empty) account; the hold movement fills it."""
    await conn.execute(
        """
        WITH hold AS (
            INSERT INTO holds (redemption_id, state, hold_id, wallet_id, amount, placed_by)
            VALUES ($1, 'placed', $2, $3, $4, $5)
        )
        INSERT INTO accounts (account, kind, wallet_id) VALUES ($6, 'hold', $3)
        """,
        redemption_id, hold_id, wallet_id, amount, command_id, hold_account(hold_id),
    )  # fmt: skip


async def record_cancellation(
    conn: Connection, redemption_id: uuid.UUID, command_id: uuid.UUID
) -> None:
    await conn.execute(
        "INSERT INTO holds (redemption_id, state, released_by) VALUES ($1, 'cancelled', $2)",
        redemption_id,
        command_id,
    )


async def close_hold(
    conn: Connection, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
) -> None:
    """placed -> released | burned; never from any other state (one way)."""
    column = {HoldState.RELEASED: "released_by", HoldState.BURNED: "burned_by"}[state]
    status = await conn.execute(
        f"UPDATE holds SET state = $2, {column} = $3, updated_at = now()"
        " WHERE redemption_id = $1 AND state = 'placed'",
        redemption_id,
        state.value,
        command_id,
    )
    if status != "UPDATE 1":
        raise RuntimeError(f"hold of {redemption_id} was not placed")


@dataclass(frozen=True, slots=True)
class BurnRow:
    burn_id: uuid.UUID
    redemption_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: int
    supply_after: int


async def burn_of_redemption(conn: Connection, redemption_id: uuid.UUID) -> BurnRow | None:
    row = await conn.fetchrow(
        "SELECT burn_id, redemption_id, wallet_id, amount, supply_after FROM burns"
        " WHERE redemption_id = $1",
        redemption_id,
    )
    return BurnRow(**dict(row)) if row else None


# --- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    command_id: uuid.UUID
    command_type: str
    outcome: str
    reason: str | None = None
    detail: str | None = None
    wallet_id: uuid.UUID | None = None
    deposit_id: uuid.UUID | None = None
    redemption_id: uuid.UUID | None = None


class Decisions:
    """The transaction's command outcomes (the audit of what was decided, by which replica),
    written in one statement just before it commits (a staged writer of the unit of work)."""

    _INSERT = BulkStatement.insert_into(
        "decisions", command_id="uuid", command_type="text", outcome="text", reason="text",
        detail="text", wallet_id="uuid", deposit_id="uuid", redemption_id="uuid",
        instance="text",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows: list[tuple[object, ...]] = []

    def record(self, decision: Decision, instance: str) -> None:
        self._rows.append((
            decision.command_id, decision.command_type, decision.outcome, decision.reason,
            decision.detail, decision.wallet_id, decision.deposit_id, decision.redemption_id,
            instance,
        ))  # fmt: skip

    async def flush(self, commit: AtCommit) -> None:
        rows, self._rows = self._rows, []
        commit.write_at_commit(self._INSERT, rows)


# --- supply ---------------------------------------------------------------------------------


async def supply(conn: Connection) -> Supply:
    """Balances and journal totals read in one snapshot (one statement)."""
    row = await conn.fetchrow(
        """
        SELECT
          (SELECT -balance FROM accounts WHERE account = 'issuer:minted')        AS minted,
          (SELECT balance FROM accounts WHERE account = 'issuer:burned')         AS burned,
          (SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'wallet') AS balances,
          (SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'hold')   AS holds,
          (SELECT coalesce(sum(amount), 0) FROM movements WHERE kind = 'mint')   AS journal_minted,
          (SELECT coalesce(sum(amount), 0) FROM movements WHERE kind = 'burn')   AS journal_burned,
          (SELECT coalesce(sum(amount), 0) FROM holds WHERE state = 'placed')    AS placed_holds,
          (SELECT coalesce(sum(balance), 0) FROM accounts)                       AS accounts_sum
        """
    )
    assert row is not None
    return Supply(**{key: int(value) for key, value in dict(row).items()})
