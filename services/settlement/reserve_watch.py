"""The reserve watch (a background task of every replica): the attestation's backing checks
every `settlement_attest_interval_s`, an alert on settlement.events when the exception state
changes, and the attestation report recorded every `settlement_attest_record_interval_s`.

The checks read settlement's own database only (a service reads no other's): its record of
issuance's mints and burns stands for issuance's ledger; `make attest` also reads issuance's.
The alert goes through the outbox in the transaction that records the state it announces,
under a row lock, so replicas never announce one state twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from schemas import Money, derive_id
from schemas.money import PAR_CURRENCY, TOKEN
from schemas.settlement import ReserveAlert, ReserveException
from services.runtime.db import Pool
from services.runtime.logging import get_logger
from services.runtime.periodic import every
from services.runtime.publisher import Publisher
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.domain.backing import (
    BackingException,
    Facts,
    exceptions_of,
    fingerprint,
    report_items,
    should_alert,
)
from services.settlement.repository import attestation
from services.settlement.repository.backing import settlement_facts
from services.settlement.settings import SettlementSettings

if TYPE_CHECKING:
    from services.runtime.service import Service

log = get_logger(__name__)
ACTOR = "settlement:reserve-watch"
EVENTS = "settlement.events"
ALERTS = uuid.UUID("5e77e3a1-6a1e-4c3b-9d35-0a7e5e2e0a1e")
"""The parent of every alert's message id (one per alert sequence number)."""
MAX_LISTED = 100


async def run(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, SettlementSettings)

    async def round_() -> None:
        await watch_once(service.pool, settings, dt.datetime.now(dt.UTC))

    await every(settings.settlement_attest_interval_s, round_, settings, "reserve watch")


async def watch_once(
    pool: Pool, settings: SettlementSettings, now: dt.datetime
) -> list[BackingException]:
    async with pool.acquire() as connection:
        facts = await settlement_facts(connection)
    grace = dt.timedelta(seconds=settings.settlement_attest_payout_grace_s)
    found = exceptions_of(facts, now, grace)
    async with UnitOfWork(pool) as uow:
        await _alert_on_change(uow, settings, facts, found, now)
        await _record_when_due(uow, settings, found, now)
        await uow.commit()
    return found


async def _alert_on_change(
    uow: UnitOfWork,
    settings: SettlementSettings,
    facts: Facts,
    found: list[BackingException],
    now: dt.datetime,
) -> None:
    last = await uow.connection.fetchrow(
        "SELECT fingerprint, sequence FROM reserve_alerts FOR UPDATE"
    )
    assert last is not None  # the migration's one row
    if not should_alert(last["fingerprint"], found):
        return
    sequence = last["sequence"] + 1
    await uow.connection.execute(
        "UPDATE reserve_alerts SET fingerprint = $1, sequence = $2, alerted_at = $3",
        fingerprint(found),
        sequence,
        now,
    )
    alert = _alert(facts, found, now)
    message_id = derive_id(ALERTS, str(sequence))
    Publisher(uow.outbox, settings).publish(
        EVENTS, "reserve", alert, message_id=message_id, correlation_id=message_id
    )
    log.warning(
        "reserve alert", status=alert.status, total=alert.total,
        kinds=sorted({e.kind for e in found}),
    )  # fmt: skip


def _alert(facts: Facts, found: list[BackingException], now: dt.datetime) -> ReserveAlert:
    return ReserveAlert(
        status="exceptions" if found else "cleared",
        exceptions=[
            ReserveException(kind=e.kind, reference=e.reference, amount_minor=e.amount_minor)
            for e in found[:MAX_LISTED]
        ],
        total=len(found),
        supply=Money(amount_minor=facts.figures.supply_minor, currency=TOKEN),
        backing=Money(amount_minor=max(facts.figures.backing_minor, 0), currency=PAR_CURRENCY),
        checked_at=now,
    )


async def _record_when_due(
    uow: UnitOfWork, settings: SettlementSettings, found: list[BackingException], now: dt.datetime
) -> None:
    last = await uow.connection.fetchval("SELECT max(generated_at) FROM attestations")
    due = dt.timedelta(seconds=settings.settlement_attest_record_interval_s)
    if last is None or now - last >= due:
        await attestation.attest(uow.connection, now, report_items(found, now))
