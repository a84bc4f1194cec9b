"""The watchdog: every saga whose deadline passed is re-sent, compensated, queried or
parked (the decision function says which), so that nothing waits forever. Replicas share
the work: each locks the rows it takes (SKIP LOCKED).

Before a deadline counts, the watchdog asks whether the command the saga awaits has
reached its receiver (still in the outbox? past the receiver's position? receivers.py):
one that has not is waited for, not re-sent."""

from __future__ import annotations

import datetime as dt
import uuid

from services.redemption import repository
from services.redemption.domain.decide import on_deadline
from services.redemption.domain.definition import SAGA
from services.redemption.domain.state import Saga
from services.redemption.receivers import Receivers
from services.redemption.saga_runner import carry_out
from services.redemption.settings import RedemptionSettings
from services.runtime.clock import utc_now
from services.runtime.logging import message_context
from services.runtime.periodic import every
from services.runtime.publisher import Publisher
from services.runtime.service import Service
from services.runtime.unit_of_work import UnitOfWork

BATCH = 200


class Watchdog:
    def __init__(self, receivers: Receivers) -> None:
        self.receivers = receivers

    async def __call__(self, service: Service) -> None:
        settings = service.settings
        assert isinstance(settings, RedemptionSettings)

        async def round_() -> bool:
            return await self.sweep(service, settings) == BATCH  # a full sweep: more are due

        await every(settings.redemption_watchdog_interval_s, round_, settings, "watchdog")

    async def sweep(self, service: Service, settings: RedemptionSettings) -> int:
        now = utc_now()
        async with UnitOfWork(service.pool) as uow:
            due = await repository.lock_due(uow.connection, now, BATCH)
            published = await repository.publications(
                uow.connection, [saga.pending for saga in due if saga.pending is not None]
            )
            publisher = Publisher(uow.outbox, settings)
            writes = uow.staged(repository.SagaWrites)
            for saga in due:
                with message_context(correlation_id=saga.request.redemption_id):
                    delivered = self.delivered(saga, published)
                    decision = on_deadline(saga, now, settings.timing, delivered=delivered)
                    carry_out(writes, decision, publisher, now)
            await uow.commit()
        return len(due)

    def delivered(self, saga: Saga, published: dict[uuid.UUID, dt.datetime | None]) -> bool:
        if saga.pending is None:
            return True
        if saga.pending in published and published[saga.pending] is None:
            return False  # every copy still in the outbox: not on the broker yet
        step = SAGA[saga.step]
        return self.receivers.delivered(
            step.topic, step.key(saga.request), published.get(saga.pending)
        )
