"""Sanctions lists in the database: the active list for screening, loading a new version,
and re-screening every customer against it (new hits frozen, in the same transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from schemas import derive_id, envelope
from schemas.kyc import CustomerFrozen, CustomerRejected
from schemas.message import Message
from services.kyc import pii, repository
from services.kyc.domain.lists import ParsedList
from services.kyc.domain.onboarding import decide_rescreen
from services.kyc.domain.screening import Screener
from services.kyc.wiring import Kyc
from services.runtime.db import Connection
from services.runtime.logging import get_logger
from services.runtime.outbox import OutboxWriter
from services.runtime.retry import TransientError

log = get_logger(__name__)


async def active_screener(kyc: Kyc, conn: Connection) -> Screener:
    """The active list, prepared once per version and process."""
    version = await repository.active_list_version(conn)
    if version is None:
        # the service loads its bundled list before consuming; this is a race at most
        raise TransientError("no sanctions list is loaded yet")
    if kyc.screener is None or kyc.screener.version != version:
        kyc.screener = Screener(version, await repository.list_entries(conn, version))
        log.info("sanctions list active", list_version=version, entries=len(kyc.screener.entries))
    return kyc.screener


@dataclass(frozen=True)
class LoadReport:
    version: str
    loaded: bool
    """False when this version was already loaded: nothing changed."""
    entries: int = 0
    screened: int = 0
    frozen: int = 0
    rejected: int = 0


async def load_and_rescreen(
    kyc: Kyc, conn: Connection, outbox: OutboxWriter, parsed: ParsedList, actor: str
) -> LoadReport:
    """Load `parsed` and re-screen every customer it could change, in the caller's
    transaction: the list, the new states, the history and the events commit together."""
    if not await repository.insert_list(conn, parsed):
        return LoadReport(parsed.version, loaded=False)
    cause = uuid.uuid5(uuid.NAMESPACE_URL, f"cnh-kyc-list:{parsed.version}")
    screener = Screener(parsed.version, parsed.entries)
    screened = frozen = rejected = 0
    for row in await repository.customers_to_rescreen(conn):
        customer_id: uuid.UUID = row["customer_id"]
        application = pii.unseal(
            kyc.keyring, customer_id, row["kind"], row["pii_key_id"], row["pii_ciphertext"]
        )
        match = screener.screen(pii.subject_of(application))
        outcome = kyc.thresholds.outcome(match.score)
        previous = await repository.last_screening(conn, customer_id)
        await repository.record_screening(
            conn, customer_id, parsed.version, match.score, match.entry_ref, outcome
        )
        screened += 1
        if previous is not None and (previous["entry_ref"], previous["outcome"]) == (
            match.entry_ref,
            outcome,
        ):
            continue  # not a new hit: already decided (and possibly cleared by an operator)
        action = decide_rescreen(row["status"], row["frozen"], row["sanctioned"], outcome)
        event: Message | None = None
        status, is_frozen, freeze_reason = row["status"], row["frozen"], row["freeze_reason"]
        if action.action == "freeze":
            is_frozen, freeze_reason = True, action.reason
            event = CustomerFrozen(customer_id=customer_id, reason=action.reason or "")
            frozen += 1
        elif action.action == "reject":
            status = "rejected"
            event = CustomerRejected(customer_id=customer_id, reason=action.reason or "")
            rejected += 1
        elif action.sanctioned == row["sanctioned"]:
            continue
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
            list_version=parsed.version,
        )
    return LoadReport(parsed.version, True, len(parsed.entries), screened, frozen, rejected)


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
    outbox.add(
        kyc.settings.topic("kyc.events"),
        str(customer_id),
        envelope(
            payload,
            producer=kyc.settings.service,
            correlation_id=cause,
            message_id=derive_id(cause, path),
        ),
    )
