"""Assembles a service process: settings, logs, health endpoint, dependencies, migrations,
pool, relay, subscribers.

    service = Service(settings, [commands, events], migrations=Path(...))
    asyncio.run(service.run())

Start order: the health endpoint (health.py) first, so that the process can say what it
waits for; then every dependency is waited for (dependencies.py: PostgreSQL, Kafka and
the service's own), the migrations run, the pool opens, the setup steps run, the relay and
the background tasks start, and the subscribers start consuming: then the process is ready
and logs "service started". Each step that needs a dependency waits for it again if it goes
away during the step; a fault that waiting cannot mend (a failed migration, a refused login)
ends the process with a clear line and exit 1. SIGTERM or SIGINT stops it at any point: on
the way out the consumed positions are committed, the subscribers stop (in-flight batches
finish or roll back), then the relay and the tasks, then the pool, then the endpoint.

FastStream's own runner (`faststream run`, `app.run`) is not used: it starts the broker
once, and exits if Kafka is down at that moment. `app` stays for what FastStream derives
from it (its AsyncAPI document).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import uvloop
from aiokafka import AIOKafkaProducer
from faststream import FastStream

from services.runtime.consumer import BatchProcessor
from services.runtime.db import Pool, create_pool
from services.runtime.dependencies import Dependency, Waiter, kafka, postgresql, reason_of
from services.runtime.errors import describe
from services.runtime.handlers import Subscription
from services.runtime.health import serving
from services.runtime.kafka import create_broker, subscribe_batches
from services.runtime.logging import configure_logging, get_logger
from services.runtime.migrate import upgrade_async
from services.runtime.readiness import Readiness
from services.runtime.records import Record
from services.runtime.relay import Relay, create_producer
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

BackgroundTask = Callable[["Service"], Coroutine[Any, Any, None]]
"""A coroutine run for the service's lifetime once its pool is open (a watchdog, a
reconciliation loop); it is cancelled at shutdown and must survive its own errors
(periodic.every: a round every interval, a failed one retried)."""

SetupStep = Callable[["Service"], Coroutine[Any, Any, None]]
"""A coroutine run once at start, after the migrations and the pool, before anything is
consumed (FX seeds its rate book, KYC its sanctions lists). It runs again from the start if
PostgreSQL goes away during it, so it must be idempotent."""


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        subscriptions: Sequence[Subscription],
        migrations: Path | None = None,
        *,
        relay: bool = True,
        tasks: Sequence[BackgroundTask] = (),
        setup: Sequence[SetupStep] = (),
        dependencies: Sequence[Dependency] = (),
    ) -> None:
        self.settings = settings
        self.tasks = list(tasks)
        self.setup = list(setup)
        self.subscriptions = list(subscriptions)
        self.migrations = migrations
        self.relay_enabled = relay
        self.postgresql = postgresql(settings)
        self.kafka = kafka(settings)
        self.dependencies = [self.postgresql, self.kafka, *dependencies]
        self.readiness = Readiness(settings.client_id)
        self.broker = create_broker(settings)
        self.app = FastStream(self.broker, logger=logging.getLogger("services.runtime.faststream"))
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

    async def run(self) -> None:
        settings = self.settings
        configure_logging(settings.service, settings.log_level, settings.log_format)
        async with contextlib.AsyncExitStack() as stack:
            stopping = _stop_on_signals(stack)
            try:
                await stack.enter_async_context(serving(settings, self.readiness))
                started = await _unless(stopping, self._start(stack))
            except Exception as exc:
                log.error("service cannot start", reason=reason_of(exc))
                raise SystemExit(1) from None
            if not started:
                log.info(
                    "service stopped before it started", waiting_for=self.readiness.waiting_for
                )
                return
            self.readiness.phase = "ready"
            log.info("service started", topics=[s.topic for s in self.subscriptions])
            await stopping.wait()
            self.readiness.phase = "stopping"
        log.info("service stopped")

    async def _start(self, stack: contextlib.AsyncExitStack) -> None:
        """Every start step; what each started is undone by `stack` on the way out."""
        settings = self.settings
        waiter = Waiter(settings, self.readiness)
        await waiter.wait(*self.dependencies)
        folders = [self.migrations] if self.migrations else []
        await waiter.use(
            self.postgresql, "migrations", lambda: upgrade_async(settings.database_url, *folders)
        )
        self._pool = pool = await waiter.use(
            self.postgresql,
            "opening the pool",
            lambda: create_pool(
                settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
            ),
        )
        stack.push_async_callback(_close, pool)
        for step in self.setup:
            await waiter.use(self.postgresql, step.__name__, functools.partial(step, self))
        self._processors = {s.name: BatchProcessor(settings, pool, s) for s in self.subscriptions}
        running: list[asyncio.Task[None]] = []
        stack.push_async_callback(_cancel, running)
        if self.relay_enabled:
            producer = await waiter.use(self.kafka, "starting the relay", self._started_producer)
            stack.push_async_callback(_bounded, producer.stop, "the relay's producer")
            running.append(asyncio.create_task(Relay(settings, producer).run(), name="relay"))
        running += [asyncio.create_task(task(self), name=_name(task)) for task in self.tasks]
        await waiter.use(self.kafka, "starting the subscribers", self._start_consuming)
        # flushes the positions, stops the consumers
        stack.push_async_callback(_bounded, self.app.stop, "the subscribers")
        if settings.health_port and settings.health_probe_interval_s:
            watch = waiter.watch(self.dependencies, settings.health_probe_interval_s)
            running.append(asyncio.create_task(watch, name="dependency-watch"))

    async def _started_producer(self) -> AIOKafkaProducer:
        producer = create_producer(self.settings)
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        return producer

    async def _start_consuming(self) -> None:
        try:
            await self.app.start()
        except BaseException:
            # a start that failed half way leaves consumers behind: stop them before a retry
            with contextlib.suppress(Exception):
                await self.broker.stop()
            raise

    async def _flush_positions(self) -> None:
        # before the consumers stop: a position not committed is only offered again
        flushes = asyncio.gather(*(positions.flush() for positions in self._positions))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(flushes, _STOP_TIMEOUT_S / 2)


def _name(task: BackgroundTask) -> str:
    return getattr(task, "__name__", type(task).__name__)


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a service process's main coroutine on uvloop: asyncpg and the Kafka client spend
    most of their time in socket reads and writes, which libuv does in C."""
    uvloop.run(main)


def _stop_on_signals(stack: contextlib.AsyncExitStack) -> asyncio.Event:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
        stack.callback(loop.remove_signal_handler, sig)
    return stopping


async def _unless(stopping: asyncio.Event, work: Coroutine[Any, Any, None]) -> bool:
    """Run `work` unless `stopping` is set first: then cancel it (a start waiting for a
    dependency stops at once) and return False."""
    task = asyncio.create_task(work)
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if task.done():
        task.result()
        return True
    while not task.done():  # a library may swallow one cancellation; not every one
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()
    return False


_STOP_TIMEOUT_S = 10.0


async def _bounded(stop: Callable[[], Awaitable[None]], what: str) -> None:
    """A stop that needs the broker must not hang a shutdown while the broker is away: what
    it could not finish (a position not committed, a record not acknowledged) is offered or
    published again after the restart, and the inboxes recognise it."""
    try:
        await asyncio.wait_for(stop(), _STOP_TIMEOUT_S)
    except TimeoutError:
        log.warning("did not stop in time; going on", what=what, timeout_s=_STOP_TIMEOUT_S)
    except Exception as exc:
        log.warning("failed to stop; going on", what=what, error=describe(exc))


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _close(pool: Pool, timeout_s: float = 10.0) -> None:
    """Close gracefully, but never hang a shutdown on a connection that will not return."""
    try:
        await asyncio.wait_for(pool.close(), timeout_s)
    except TimeoutError:
        log.warning("database pool did not close in time; terminating its connections")
        pool.terminate()
