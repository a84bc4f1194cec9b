"""Sanctions lists in the database: the active lists for screening (one version per source,
all sources at once), loading or re-activating a version, and re-screening customers
against what becomes active (new hits frozen, in the same transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from schemas import derive_id
from schemas.kyc import CustomerFrozen, CustomerRejected
from schemas.message import Message
from services.kyc import pii, repository
from services.kyc.domain.lists import (
    Activation,
    Change,
    ParsedList,
    plan_activation,
    plan_load,
    screening_set,
)
from services.kyc.domain.onboarding import decide_rescreen
from services.kyc.domain.screening import Screener
from services.kyc.domain.text import KEYS_VERSION
from services.kyc.wiring import Kyc
from services.runtime.db import Connection
from services.runtime.logging import get_logger
from services.runtime.outbox import OutboxWriter
from services.runtime.progress import Progress
from services.runtime.publisher import Publisher
from services.runtime.retry import TransientError

log = get_logger(__name__)

Report = Callable[[int, int], None]
"""Told (customers re-screened, customers to re-screen) as a re-screening goes on."""


async def active_screener(kyc: Kyc, conn: Connection) -> Screener:
    """Every active list, prepared once per set of versions and process."""
    lists = await repository.active_lists(conn)
    if not lists:
        # the service loads its bundled list before consuming; this is a race at most
        raise TransientError("no sanctions list is loaded yet")
    versions = [r["version"] for r in lists]
    if kyc.screener is None or kyc.screener.version != screening_set(versions):
        kyc.screener = await _screener(conn, versions)
        stale = [r["version"] for r in lists if r["keys_version"] != KEYS_VERSION]
        log.info(
            "sanctions lists active",
            list_versions=versions,
            entries=len(kyc.screener.entries),
            keys_computed_again=stale,
        )
    return kyc.screener


async def _screener(conn: Connection, versions: list[str]) -> Screener:
    entries = await repository.list_entries(conn, versions, KEYS_VERSION)
    return Screener(screening_set(versions), entries)


@dataclass(frozen=True)
class LoadReport:
    version: str
    change: Change
    """"unchanged" when this version was already the active one: nothing was done."""
    entries: int = 0
    active: tuple[str, ...] = ()
    """Every active version afterwards."""
    screened: int = 0
    frozen: int = 0
    rejected: int = 0

    @property
    def loaded(self) -> bool:
        return self.change != "unchanged"


async def load_and_rescreen(
    kyc: Kyc,
    conn: Connection,
    outbox: OutboxWriter,
    parsed: ParsedList,
    actor: str,
    report: Report | None = None,
) -> LoadReport:
    """Load `parsed` (or re-activate the version of the same bytes) and re-screen every
    customer it could change, in the caller's transaction: the list, the new states, the
    history and the events commit together."""
    await repository.lock_sanctions(conn)
    plan = plan_load(await repository.catalogue(conn), parsed)
    if plan.change == "loaded":
        await repository.insert_list(conn, parsed, KEYS_VERSION)
    return await _apply(kyc, conn, outbox, plan, actor, report)


async def activate_and_rescreen(
    kyc: Kyc,
    conn: Connection,
    outbox: OutboxWriter,
    version: str,
    actor: str,
    report: Report | None = None,
) -> LoadReport:
    """Make a known `version` its source's active one again (the file need not be at
    hand), and re-screen, in the caller's transaction."""
    await repository.lock_sanctions(conn)
    plan = plan_activation(await repository.catalogue(conn), version)
    return await _apply(kyc, conn, outbox, plan, actor, report)


async def rescreen_stale(
    kyc: Kyc, conn: Connection, outbox: OutboxWriter, actor: str, report: Report | None = None
) -> Rescreened | None:
    """Re-screen the customers last screened against other lists than the active ones (a
    change committed while they were decided, or screenings from before every source was
    active at once), in the caller's transaction. None when there are none."""
    await repository.lock_sanctions(conn)
    versions = [r["version"] for r in await repository.active_lists(conn)]
    if not versions:
        return None
    customers = await repository.customers_to_rescreen(
        conn, unless_screened_with=screening_set(versions)
    )
    if not customers:
        return None
    screener = await _screener(conn, versions)
    return await _rescreen(kyc, conn, outbox, screener, customers, actor, report)


async def _apply(
    kyc: Kyc,
    conn: Connection,
    outbox: OutboxWriter,
    plan: Activation,
    actor: str,
    report: Report | None,
) -> LoadReport:
    if plan.change == "unchanged":
        return LoadReport(plan.version, plan.change)
    await repository.activate(conn, plan.version, plan.replaces)
    versions = [r["version"] for r in await repository.active_lists(conn)]
    screener = await _screener(conn, versions)
    entries = sum(e.version == plan.version for e in screener.entries)
    log.info(
        f"sanctions list {plan.change}",
        list_version=plan.version,
        replaces=plan.replaces,
        active=versions,
        entries=entries,
    )
    customers = await repository.customers_to_rescreen(conn)
    done = await _rescreen(kyc, conn, outbox, screener, customers, actor, report)
    return LoadReport(
        plan.version,
        plan.change,
        entries,
        tuple(versions),
        done.screened,
        done.frozen,
        done.rejected,
    )


@dataclass(frozen=True)
class Rescreened:
    screened: int
    frozen: int
    rejected: int


async def _rescreen(
    kyc: Kyc,
    conn: Connection,
    outbox: OutboxWriter,
    screener: Screener,
    customers: Sequence[asyncpg.Record],
    actor: str,
    report: Report | None,
) -> Rescreened:
    """Screen `customers` against `screener`; a new hit freezes or rejects as
    decide_rescreen says."""
    # One cause per re-screening, never derived from the versions: a version activated
    # again later must not repeat the ids of the events its first activation emitted.
    cause = uuid.uuid4()
    progress = Progress(len(customers), report or _log_progress)
    frozen = rejected = 0
    for row in customers:
        changed = await _rescreen_one(kyc, conn, outbox, screener, row, actor, cause)
        frozen += changed == "freeze"
        rejected += changed == "reject"
        progress.advance()
    progress.finish()
    return Rescreened(len(customers), frozen, rejected)


async def _rescreen_one(
    kyc: Kyc,
    conn: Connection,
    outbox: OutboxWriter,
    screener: Screener,
    row: asyncpg.Record,
    actor: str,
    cause: uuid.UUID,
) -> str:
    customer_id: uuid.UUID = row["customer_id"]
    application = pii.unseal(
        kyc.keyring, customer_id, row["kind"], row["pii_key_id"], row["pii_ciphertext"]
    )
    match = screener.screen(pii.subject_of(application))
    outcome = kyc.thresholds.outcome(match.score)
    previous = await repository.last_screening(conn, customer_id)
    await repository.record_screening(
        conn,
        customer_id,
        screener.version,
        match.score,
        match.entry_ref,
        outcome,
        match.entry_version,
    )
    if previous is not None and (previous["entry_ref"], previous["outcome"]) == (
        match.entry_ref,
        outcome,
    ):
        return "none"  # not a new hit: already decided (and possibly cleared by an operator)
    action = decide_rescreen(row["status"], row["frozen"], row["sanctioned"], outcome)
    event: Message | None = None
    status, is_frozen, freeze_reason = row["status"], row["frozen"], row["freeze_reason"]
    if action.action == "freeze":
        is_frozen, freeze_reason = True, action.reason
        event = CustomerFrozen(customer_id=customer_id, reason=action.reason or "")
    elif action.action == "reject":
        status = "rejected"
        event = CustomerRejected(customer_id=customer_id, reason=action.reason or "")
    elif action.sanctioned == row["sanctioned"]:
        return "none"
    await repository.update_customer(
        conn,
        customer_id,
        status=status,
        frozen=is_frozen,
        freeze_reason=freeze_reason,
        sanctioned=action.sanctioned,
    )
    await repository.history(
        conn,
        f"rescreen_{action.action}",
        actor=actor,
        customer_id=customer_id,
        reason=f"{action.reason or outcome}:{match.entry_ref}:{match.score}",
        cause_id=cause,
    )
    if event is not None:
        publish_event(kyc, outbox, customer_id, event, cause, f"rescreen/{customer_id}")
    log.warning(
        "re-screening changed a customer",
        customer_id=str(customer_id),
        action=action.action,
        score=match.score,
        entry_ref=match.entry_ref,
        entry_version=match.entry_version,
        list_versions=screener.version,
    )
    return action.action


def _log_progress(done: int, total: int) -> None:
    log.info("re-screening customers", screened=done, total=total)


def publish_event(
    kyc: Kyc,
    outbox: OutboxWriter,
    customer_id: uuid.UUID,
    payload: Message,
    cause: uuid.UUID,
    path: str,
) -> None:
    """An event emitted outside a message handler (operator, list load): through the
    outbox of the caller's transaction, its id derived from the cause."""
    Publisher(outbox, kyc.settings).publish(
        "kyc.events",
        str(customer_id),
        payload,
        correlation_id=cause,
        message_id=derive_id(cause, path),
    )
