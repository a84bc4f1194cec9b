"""Assembles a service process: settings, logs, migrations, pool, relay, subscribers.

    service = Service(settings, [commands, events], migrations=Path(...))
    asyncio.run(service.run())          # or: faststream run module:service.app

Lifespan order: migrate, open the pool, start the relay, then consume; on the way out the
consumed positions are committed, the subscribers stop (in-flight batches finish or roll
back), then the relay, then the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import uvloop
from faststream import FastStream

from services.runtime.consumer import BatchProcessor
from services.runtime.db import Pool, create_pool
from services.runtime.handlers import Subscription
from services.runtime.kafka import create_broker, subscribe_batches
from services.runtime.logging import configure_logging, get_logger
from services.runtime.migrate import upgrade_async
from services.runtime.records import Record
from services.runtime.relay import Relay, create_producer
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

BackgroundTask = Callable[["Service"], Coroutine[Any, Any, None]]
"""A coroutine run for the service's lifetime once its pool is open (a watchdog, a
reconciliation loop); it is cancelled at shutdown and must survive its own errors."""


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        subscriptions: Sequence[Subscription],
        migrations: Path | None = None,
        *,
        relay: bool = True,
        tasks: Sequence[BackgroundTask] = (),
    ) -> None:
        self.settings = settings
        self.tasks = list(tasks)
        self.subscriptions = list(subscriptions)
        self.migrations = migrations
        self.relay_enabled = relay
        self.broker = create_broker(settings)
        self.app = FastStream(
            self.broker,
            lifespan=self._lifespan,
            logger=logging.getLogger("services.runtime.faststream"),
        )
        self._pool: Pool | None = None
        self._processors: dict[str, BatchProcessor] = {}
        self._positions = [
            subscribe_batches(self.broker, settings, s.topic, self._callback(s))
            for s in self.subscriptions
        ]
        self.app.on_shutdown(self._flush_positions)

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise RuntimeError("the service is not started")
        return self._pool

    def _callback(self, subscription: Subscription):  # type: ignore[no-untyped-def]
        async def process(records: Sequence[Record]) -> None:
            await self._processors[subscription.name].process(records)

        return process

    @contextlib.asynccontextmanager
    async def _lifespan(self) -> AsyncIterator[None]:
        settings = self.settings
        configure_logging(settings.service, settings.log_level, settings.log_format)
        await upgrade_async(settings.database_url, *([self.migrations] if self.migrations else []))
        self._pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        self._processors = {
            s.name: BatchProcessor(settings, self._pool, s) for s in self.subscriptions
        }
        running: list[asyncio.Task[None]] = []
        producer = create_producer(settings)
        if self.relay_enabled:
            await producer.start()
            running.append(asyncio.create_task(Relay(settings, producer).run(), name="relay"))
        running += [asyncio.create_task(task(self), name=_name(task)) for task in self.tasks]
        log.info("service started", topics=[s.topic for s in self.subscriptions])
        try:
            yield
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            if self.relay_enabled:
                await producer.stop()
            await _close(self._pool)
            log.info("service stopped")

    async def _flush_positions(self) -> None:
        # before the consumers stop: a position not committed is only offered again
        await asyncio.gather(*(positions.flush() for positions in self._positions))

    async def run(self) -> None:
        await self.app.run()


def _name(task: BackgroundTask) -> str:
    return getattr(task, "__name__", type(task).__name__)


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a service process's main coroutine on uvloop: asyncpg and the Kafka client spend
    most of their time in socket reads and writes, which libuv does in C."""
    uvloop.run(main)


async def _close(pool: Pool, timeout_s: float = 10.0) -> None:
    """Close gracefully, but never hang a shutdown on a connection that will not return."""
    try:
        await asyncio.wait_for(pool.close(), timeout_s)
    except TimeoutError:
        log.warning("database pool did not close in time; terminating its connections")
        pool.terminate()
