"""A step's deadline passing (the watchdog): every saga whose deadline passed is re-sent,
compensated, queried or parked (the decision function says which), so that nothing waits
forever.

Before a deadline counts, the work asks whether the command the saga awaits has reached its
receiver (still in the outbox? past the receiver's position? adapters/receivers.py): one
that has not is waited for, not re-sent."""

from __future__ import annotations

import datetime as dt
import uuid

from services.redemption.domain.decide import on_deadline
from services.redemption.domain.definition import SAGA
from services.redemption.domain.state import Saga
from services.redemption.use_cases.carry_out import carry_out
from services.redemption.use_cases.work import Receivers, WatchdogWork
from services.runtime.logging import message_context


async def deadlines_passed(work: WatchdogWork, limit: int) -> int:
    """Move up to `limit` sagas whose deadline passed; how many there were."""
    now = work.now()
    due = await work.sagas.due(now, limit)
    published = await work.publications.of(
        [saga.pending for saga in due if saga.pending is not None]
    )
    for saga in due:
        with message_context(correlation_id=saga.request.redemption_id):
            arrived = delivered(saga, published, work.receivers)
            carry_out(work, on_deadline(saga, now, work.terms, delivered=arrived), now)
    return len(due)


def delivered(
    saga: Saga, published: dict[uuid.UUID, dt.datetime | None], receivers: Receivers
) -> bool:
    if saga.pending is None:
        return True
    if saga.pending in published and published[saga.pending] is None:
        return False  # every copy still in the outbox: not on the broker yet
    step = SAGA[saga.step]
    return receivers.delivered(step.topic, step.key(saga.request), published.get(saga.pending))
