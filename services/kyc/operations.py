"""Operator actions outside any message: freeze and unfreeze customers and wallets, load or
re-activate a sanctions list version. Each is one transaction: the state change, its
history row and its event (through the outbox) commit together."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from schemas.kyc import (
    CustomerFrozen,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    WalletFrozen,
    WalletUnfrozen,
)
from schemas.message import Message
from services.kyc import pii, repository
from services.kyc.domain.lists import (
    OFAC_SDN,
    ListFormatError,
    ParsedList,
    parse_files,
    source_of,
)
from services.kyc.sanctions import (
    LoadReport,
    Report,
    activate_and_rescreen,
    load_and_rescreen,
    publish_event,
    rescreen_stale,
)
from services.kyc.wiring import Kyc
from services.runtime.db import Connection, Pool
from services.runtime.unit_of_work import UnitOfWork


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    changed: bool
    message: str


async def set_customer_frozen(
    kyc: Kyc, pool: Pool, customer_id: uuid.UUID, frozen: bool, reason: str, actor: str
) -> Outcome:
    async with UnitOfWork(pool) as uow:
        row = await repository.customer(uow.connection, customer_id, lock=True)
        if row is None:
            raise NotFound(f"no customer {customer_id}")
        if row["frozen"] == frozen:
            return Outcome(False, f"customer {customer_id} is already {_state(frozen)}")
        await repository.update_customer(
            uow.connection,
            customer_id,
            status=row["status"],
            frozen=frozen,
            freeze_reason=reason if frozen else None,
            sanctioned=row["sanctioned"],
        )
        event: Message = (
            CustomerFrozen(customer_id=customer_id, reason=reason)
            if frozen
            else CustomerUnfrozen(customer_id=customer_id)
        )
        await _record(kyc, uow, customer_id, None, event, reason, actor)
        await uow.commit()
    return Outcome(True, f"customer {customer_id} {_state(frozen)}")


async def set_wallet_frozen(
    kyc: Kyc, pool: Pool, wallet_id: uuid.UUID, frozen: bool, reason: str, actor: str
) -> Outcome:
    async with UnitOfWork(pool) as uow:
        row = await repository.wallet(uow.connection, wallet_id, lock=True)
        if row is None:
            raise NotFound(f"no wallet {wallet_id}")
        if row["frozen"] == frozen:
            return Outcome(False, f"wallet {wallet_id} is already {_state(frozen)}")
        customer_id: uuid.UUID = row["customer_id"]
        await repository.set_wallet_frozen(
            uow.connection, wallet_id, frozen, reason if frozen else None
        )
        event: Message = (
            WalletFrozen(customer_id=customer_id, wallet_id=wallet_id, reason=reason)
            if frozen
            else WalletUnfrozen(customer_id=customer_id, wallet_id=wallet_id)
        )
        await _record(kyc, uow, customer_id, wallet_id, event, reason, actor)
        await uow.commit()
    return Outcome(True, f"wallet {wallet_id} {_state(frozen)}")


async def decide_review(
    kyc: Kyc, pool: Pool, customer_id: uuid.UUID, approve: bool, reason: str, actor: str
) -> Outcome:
    """A compliance officer's decision on a customer referred to manual review (a possible
    sanctions hit cleared or confirmed, evidence checked): verified or rejected, recorded
    with who and why, and announced like KYC's own decisions."""
    async with UnitOfWork(pool) as uow:
        row = await repository.customer(uow.connection, customer_id, lock=True)
        if row is None:
            raise NotFound(f"no customer {customer_id}")
        if row["status"] != "referred":
            return Outcome(False, f"customer {customer_id} is {row['status']}, not under review")
        status = "verified" if approve else "rejected"
        await repository.update_customer(
            uow.connection,
            customer_id,
            status=status,
            frozen=row["frozen"],
            freeze_reason=row["freeze_reason"],
            sanctioned=row["sanctioned"] and not approve,
        )
        event: Message = (
            CustomerVerified(
                customer_id=customer_id, tier=row["tier"], due_diligence=row["due_diligence"]
            )
            if approve
            else CustomerRejected(customer_id=customer_id, reason=reason)
        )
        await _record(kyc, uow, customer_id, None, event, reason, actor)
        await uow.commit()
    return Outcome(True, f"customer {customer_id} {status} after review ({reason})")


async def _record(
    kyc: Kyc,
    uow: UnitOfWork,
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID | None,
    event: Message,
    reason: str,
    actor: str,
) -> None:
    cause = uuid.uuid4()  # the operator action: its id links the history row and the event
    action = event.TYPE.removeprefix("kyc.")
    await repository.history(
        uow.connection,
        action,
        actor=actor,
        customer_id=customer_id,
        wallet_id=wallet_id,
        reason=reason,
        cause_id=cause,
    )
    publish_event(kyc, uow.outbox, customer_id, event, cause, action)


def read_list(paths: Sequence[Path], source: str | None = None) -> ParsedList:
    """A UN XML file, an OFAC sdn.csv with its alt.csv beside it (if present), or Hong
    Kong's per-regime XML files (`source` hk-cedb) as one version."""
    if not paths:
        raise ListFormatError("no file given")
    source = source or source_of(paths[0].name)
    companion = None
    if source == OFAC_SDN and len(paths) == 1:
        alt = paths[0].with_name(paths[0].name.replace("sdn", "alt"))
        if alt != paths[0] and alt.is_file():
            companion = alt.read_bytes()
    return parse_files(source, [p.read_bytes() for p in paths], companion)


async def load_list(
    kyc: Kyc, pool: Pool, parsed: ParsedList, actor: str, report: Report | None = None
) -> LoadReport:
    async with UnitOfWork(pool) as uow:
        done = await load_and_rescreen(kyc, uow.connection, uow.outbox, parsed, actor, report)
        await uow.commit()
    return done


async def activate_list(
    kyc: Kyc, pool: Pool, version: str, actor: str, report: Report | None = None
) -> LoadReport:
    async with UnitOfWork(pool) as uow:
        done = await activate_and_rescreen(kyc, uow.connection, uow.outbox, version, actor, report)
        await uow.commit()
    return done


async def ensure_lists(kyc: Kyc, pool: Pool) -> list[str]:
    """At start: load the bundled list if no list is active yet, and re-screen the
    customers last screened against other lists than the active ones; the active versions."""
    async with pool.acquire() as conn:
        active = await repository.active_lists(conn)
    if not active:
        await load_list(kyc, pool, read_list([kyc.settings.kyc_bundled_list]), "bootstrap")
    async with UnitOfWork(pool) as uow:
        await rescreen_stale(kyc, uow.connection, uow.outbox, "bootstrap")
        await uow.commit()
    async with pool.acquire() as conn:
        return [r["version"] for r in await repository.active_lists(conn)]


async def reencrypt(kyc: Kyc, pool: Pool, batch: int = 500) -> Reencrypted:
    """After a rotation of the key ring: every customer's particulars and every bank
    account's details encrypted again under the active key, in batches of one transaction
    each (opened in memory only). Run it again until it changes nothing, then retire the old
    keys."""
    ring, active = kyc.keyring, kyc.keyring.active_key_id

    async def customer(conn: Connection, row: asyncpg.Record) -> None:
        customer_id = row["customer_id"]
        particulars = pii.unseal(
            ring, customer_id, row["kind"], row["pii_key_id"], row["pii_ciphertext"]
        )
        await repository.reseal_customer(
            conn, customer_id, pii.seal(ring, customer_id, particulars)
        )

    async def account(conn: Connection, row: asyncpg.Record) -> None:
        customer_id, account_id = row["customer_id"], row["account_id"]
        details = pii.open_account(
            ring, customer_id, account_id, row["pii_key_id"], row["pii_ciphertext"]
        )
        sealed = pii.seal_account(ring, customer_id, account_id, details)
        await repository.reseal_account(conn, account_id, sealed)

    customers = await _in_batches(pool, repository.sealed_under_other_keys, customer, active, batch)
    accounts = await _in_batches(pool, repository.accounts_under_other_keys, account, active, batch)
    return Reencrypted(customers, accounts)


async def _in_batches(
    pool: Pool,
    under_other_keys: Callable[[Connection, str, int], Awaitable[list[asyncpg.Record]]],
    reseal: Callable[[Connection, asyncpg.Record], Awaitable[None]],
    active: str,
    batch: int,
) -> int:
    """Rows another key sealed, sealed again `batch` at a time; how many there were."""
    changed = 0
    while True:
        async with UnitOfWork(pool) as uow:
            rows = await under_other_keys(uow.connection, active, batch)
            for row in rows:
                await reseal(uow.connection, row)
            await uow.commit()
        changed += len(rows)
        if len(rows) < batch:
            return changed


@dataclass(frozen=True)
class Reencrypted:
    customers: int
    accounts: int


def _state(frozen: bool) -> str:
    return "frozen" if frozen else "unfrozen"
