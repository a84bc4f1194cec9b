"""The watchdog: every saga whose deadline passed is re-sent, compensated, queried or
parked (the decision function says which), so that nothing waits forever. Replicas share
the work: each locks the rows it takes (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import datetime as dt

from services.redemption import repository
from services.redemption.domain.decide import on_deadline
from services.redemption.saga_runner import carry_out
from services.redemption.settings import RedemptionSettings
from services.runtime.errors import describe
from services.runtime.logging import get_logger, message_context
from services.runtime.publisher import Publisher
from services.runtime.retry import Backoff
from services.runtime.service import Service
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)
BATCH = 200


async def watchdog(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, RedemptionSettings)
    backoff = Backoff(settings.retry_initial_backoff_s, settings.retry_max_backoff_s)
    while True:
        try:
            handled = await sweep(service, settings)
            backoff.attempt = 0
            if handled < BATCH:
                await asyncio.sleep(settings.redemption_watchdog_interval_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("watchdog sweep failed; retrying", error=describe(exc))
            await backoff.wait()


async def sweep(service: Service, settings: RedemptionSettings) -> int:
    now = dt.datetime.now(dt.UTC)
    async with UnitOfWork(service.pool) as uow:
        due = await repository.lock_due(uow.connection, now, BATCH)
        publisher = Publisher(uow.outbox, settings)
        writes = uow.staged(repository.SagaWrites)
        for saga in due:
            with message_context(correlation_id=saga.request.redemption_id):
                decision = on_deadline(saga, now, settings.timing)
                carry_out(writes, decision, publisher, now)
        await uow.commit()
    return len(due)
