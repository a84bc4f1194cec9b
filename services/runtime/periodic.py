"""A background task's loop: one round of work every interval, for the service's lifetime.

    async def reconciliation(service: Service) -> None:
        await every(settings.reconcile_interval_s, reconcile_round, settings, "reconciliation")

A round that fails is tried again with the runtime's backoff (retry.py) until it passes:
one WARNING when it starts failing, a reminder while it goes on, one INFO when it passes
again, never a line per attempt. A round that returns True found more work than it took
(a full batch): the next one starts at once. Cancelling the task (the service stopping)
stops the loop wherever it is, in a round or between two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn

from services.runtime.retry import RetryLog, retrying
from services.runtime.settings import ServiceSettings

Round = Callable[[], Awaitable[bool | None]]
"""One round of a task's work; True: more is waiting, run the next round at once."""


async def every(interval_s: float, round_: Round, settings: ServiceSettings, name: str) -> NoReturn:
    retry_log = RetryLog(f"{name} round", settings.retry_log_interval_s, task=name)
    while True:
        more = None
        async for attempt in retrying(
            settings.retry_initial_backoff_s,
            settings.retry_max_backoff_s,
            lambda exc: True,  # a task has no dead letters: its next round is its retry
            retry_log.failed,
        ):
            with attempt:
                more = await round_()
        retry_log.ended()
        if not more:
            await asyncio.sleep(interval_s)
