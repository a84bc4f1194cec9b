"""Sanctions lists, operator actions outside any message: load a version (or re-activate the
version of the same bytes), re-activate a known version, re-screen the customers screened
against other lists than the active ones. Each re-screens every customer it could change in
the same work: the list, the new states, the history and the events commit together."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schemas import derive_id
from schemas.kyc import CustomerFrozen, CustomerRejected
from schemas.message import Message
from services.kyc import pii
from services.kyc.domain.lists import (
    Activation,
    Change,
    ParsedList,
    plan_activation,
    plan_load,
    screening_set,
)
from services.kyc.domain.onboarding import decide_rescreen
from services.kyc.domain.records import Customer, HistoryEntry
from services.kyc.domain.screening import Screener
from services.kyc.use_cases.onboarding import EVENTS
from services.kyc.use_cases.work import KycWork
from services.runtime.logging import get_logger
from services.runtime.progress import Progress

log = get_logger(__name__)

Report = Callable[[int, int], None]
"""Told (customers re-screened, customers to re-screen) as a re-screening goes on."""


@dataclass(frozen=True)
class LoadList:
    parsed: ParsedList
    actor: str
    report: Report | None = None


@dataclass(frozen=True)
class ActivateList:
    """Make a known `version` its source's active one again (the file need not be at hand)."""

    version: str
    actor: str
    report: Report | None = None


@dataclass(frozen=True)
class RescreenStale:
    """Re-screen the customers last screened against other lists than the active ones (a
    change committed while they were decided, or screenings from before every source was
    active at once)."""

    actor: str
    report: Report | None = None


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


@dataclass(frozen=True)
class Rescreened:
    screened: int
    frozen: int
    rejected: int


async def load_list(work: KycWork, command: LoadList) -> LoadReport:
    await work.lists.lock()
    plan = plan_load(await work.lists.catalogue(), command.parsed)
    if plan.change == "loaded":
        await work.lists.insert(command.parsed)
    return await _apply(work, plan, command.actor, command.report)


async def activate_list(work: KycWork, command: ActivateList) -> LoadReport:
    await work.lists.lock()
    plan = plan_activation(await work.lists.catalogue(), command.version)
    return await _apply(work, plan, command.actor, command.report)


async def rescreen_stale(work: KycWork, command: RescreenStale) -> Rescreened | None:
    """None when there is no one to re-screen (the lists are then never read)."""
    await work.lists.lock()
    versions = [a.version for a in await work.lists.active()]
    if not versions:
        return None
    customers = await work.customers.to_rescreen(unless_screened_with=screening_set(versions))
    if not customers:
        return None
    screener = await work.lists.screener_of(versions)
    return await _rescreen(work, screener, customers, command.actor, command.report)


async def _apply(work: KycWork, plan: Activation, actor: str, report: Report | None) -> LoadReport:
    if plan.change == "unchanged":
        return LoadReport(plan.version, plan.change)
    await work.lists.activate(plan.version, plan.replaces)
    versions = [a.version for a in await work.lists.active()]
    screener = await work.lists.screener_of(versions)
    entries = sum(e.version == plan.version for e in screener.entries)
    log.info(
        f"sanctions list {plan.change}",
        list_version=plan.version,
        replaces=plan.replaces,
        active=versions,
        entries=entries,
    )
    customers = await work.customers.to_rescreen()
    done = await _rescreen(work, screener, customers, actor, report)
    return LoadReport(
        plan.version, plan.change, entries, tuple(versions), done.screened, done.frozen,
        done.rejected,
    )  # fmt: skip


async def _rescreen(
    work: KycWork,
    screener: Screener,
    customers: Sequence[Customer],
    actor: str,
    report: Report | None,
) -> Rescreened:
    """Screen `customers` against `screener`; a new hit freezes or rejects as
    decide_rescreen says."""
    progress = Progress(len(customers), report or _log_progress)
    frozen = rejected = 0
    for customer in customers:
        changed = await _rescreen_one(work, screener, customer, actor)
        frozen += changed == "freeze"
        rejected += changed == "reject"
        progress.advance()
    progress.finish()
    return Rescreened(len(customers), frozen, rejected)


async def _rescreen_one(work: KycWork, screener: Screener, customer: Customer, actor: str) -> str:
    # One cause per re-screening (the work's id), never derived from the versions: a
    # version activated again later must not repeat the ids of the events its first
    # activation emitted.
    cause, customer_id = work.message_id, customer.customer_id
    match = screener.screen(pii.subject_of(pii.particulars_of(work.terms.keyring, customer)))
    outcome = work.terms.thresholds.outcome(match.score)
    previous = await work.screenings.last(customer_id)
    await work.screenings.record(customer_id, screener.version, match, outcome)
    if previous is not None and (previous.entry_ref, previous.outcome) == (
        match.entry_ref,
        outcome,
    ):
        return "none"  # not a new hit: already decided (and possibly cleared by an operator)
    action = decide_rescreen(customer.status, customer.frozen, customer.sanctioned, outcome)
    event: Message | None = None
    changed = dataclasses.replace(customer, sanctioned=action.sanctioned)
    if action.action == "freeze":
        changed = dataclasses.replace(changed, frozen=True, freeze_reason=action.reason)
        event = CustomerFrozen(customer_id=customer_id, reason=action.reason or "")
    elif action.action == "reject":
        changed = dataclasses.replace(changed, status="rejected")
        event = CustomerRejected(customer_id=customer_id, reason=action.reason or "")
    elif action.sanctioned == customer.sanctioned:
        return "none"
    await work.customers.update(changed)
    await work.history.record(
        HistoryEntry(
            f"rescreen_{action.action}", actor, customer_id=customer_id,
            reason=f"{action.reason or outcome}:{match.entry_ref}:{match.score}", cause_id=cause,
        )
    )  # fmt: skip
    if event is not None:
        work.publish(
            EVENTS, str(customer_id), event, message_id=derive_id(cause, f"rescreen/{customer_id}")
        )
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
