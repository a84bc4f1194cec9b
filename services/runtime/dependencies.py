"""What a service needs before it can work, and waiting for it at start.

A `Dependency` is a name and a probe. Every service needs PostgreSQL and Kafka; a service
adds its own (a chain node, a bank's HTTP endpoint) to `Service(dependencies=...)`. At start
the `Waiter` probes them all at once and keeps probing those that do not answer with capped,
jittered backoff, as long as it takes: a service started during an outage waits and reports
not-ready (readiness.py), it does not exit. It logs one line when a wait begins and one
when it ends ("postgresql answered after 12.3 s, 9 attempts"), the attempts between only at
DEBUG. A fault that waiting cannot mend ends the start: `DependencyRefused` (a refused
password, a missing database) or `StepFailed` (a migration's SQL error). Once started,
`Waiter.watch` keeps probing them so that the readiness report follows them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError

from services.runtime.errors import describe
from services.runtime.logging import get_logger
from services.runtime.readiness import Readiness
from services.runtime.retry import is_unavailable, retrying
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

T = TypeVar("T")


def _always(_exc: BaseException) -> bool:
    return True


@dataclass(frozen=True)
class Dependency:
    name: str
    probe: Callable[[], Awaitable[None]]
    """Returns once the dependency answers; raises while it does not."""
    unreachable: Callable[[BaseException], bool] = _always
    """Whether a failure (of the probe, or of a step using the dependency) means it is not
    there yet: then the process waits. Otherwise the process cannot start."""


class StartFailed(Exception):
    """A start failed for a reason that waiting cannot mend; the message says which."""


class DependencyRefused(StartFailed):
    def __init__(self, name: str, error: BaseException) -> None:
        super().__init__(f"{name} refused: {describe(error)}")
        self.name = name


class StepFailed(StartFailed):
    def __init__(self, step: str, error: BaseException) -> None:
        # the driver's error names the fault (SQLSTATE, table); SQLAlchemy's wrapper quotes SQL
        root = next((e for e in causes(error) if isinstance(e, asyncpg.PostgresError)), error)
        super().__init__(f"{step} failed: {describe(root)}")


def reason_of(exc: BaseException) -> str:
    """One line for an operator on why a start failed."""
    return str(exc) if isinstance(exc, StartFailed) else describe(exc)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it was raised from or during (SQLAlchemy wraps the driver's errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def postgresql(settings: ServiceSettings) -> Dependency:
    async def probe() -> None:
        connection = await asyncpg.connect(
            settings.database_url, timeout=settings.dependency_probe_timeout_s
        )
        await connection.close()

    def unreachable(exc: BaseException) -> bool:
        # a refused password or a missing database is a fault of the setup, not an outage
        return any(isinstance(e, TimeoutError) or is_unavailable(e) for e in causes(exc))

    return Dependency("postgresql", probe, unreachable)


class KafkaUnreachable(Exception):
    """No broker answered a probe; the message is aiokafka's own reason (refused, TLS...)."""


_probe_lines: ContextVar[list[str] | None] = ContextVar("kafka_probe_lines", default=None)


class _IntoTheProbe(logging.Filter):
    """aiokafka logs every failed connection at ERROR: a probe's lines would be a line per
    attempt of a wait that the waiter reports once. They are kept for the probe's error."""

    def filter(self, record: logging.LogRecord) -> bool:
        lines = _probe_lines.get()
        if lines is None:
            return True
        lines.append(record.getMessage())
        return False


_into_the_probe = _IntoTheProbe()
for _name in ("aiokafka", "aiokafka.conn"):
    logging.getLogger(_name).addFilter(_into_the_probe)


def kafka(settings: ServiceSettings) -> Dependency:
    async def probe() -> None:
        # the service's own login: the broker answering someone else proves little
        client = AIOKafkaClient(
            **settings.kafka.client_options(),
            client_id=f"{settings.client_id}-probe",
            request_timeout_ms=int(settings.dependency_probe_timeout_s * 1000),
        )
        lines: list[str] = []
        probing = _probe_lines.set(lines)  # this probe and the tasks its client starts
        try:
            await client.bootstrap()
        except KafkaError as exc:
            raise KafkaUnreachable(lines[-1] if lines else str(exc)) from exc
        finally:
            await client.close()
            _probe_lines.reset(probing)

    def unreachable(exc: BaseException) -> bool:
        return any(isinstance(e, KafkaError | OSError | TimeoutError) for e in causes(exc))

    return Dependency("kafka", probe, unreachable)


class Waiter:
    def __init__(self, settings: ServiceSettings, readiness: Readiness) -> None:
        self._settings = settings
        self._readiness = readiness

    async def wait(self, *dependencies: Dependency) -> None:
        """Return once every dependency answered; probed side by side, so the readiness
        report names every one that is down, not only the first."""
        for dependency in dependencies:
            self._readiness.expect(dependency.name)
        await asyncio.gather(*(self._wait_for(d) for d in dependencies))

    async def use(self, dependency: Dependency, step: str, action: Callable[[], Awaitable[T]]) -> T:
        """Run `action` (a start step that needs `dependency`) once it answers; if the step
        fails because the dependency went away meanwhile, wait for it again and retry."""
        while True:
            known = self._readiness.state_of(dependency.name)
            if known is None or known.state != "ready":
                await self.wait(dependency)
            try:
                return await action()
            except Exception as exc:
                if not dependency.unreachable(exc):
                    raise StepFailed(step, exc) from exc
                log.warning(
                    f"lost {dependency.name} during {step}",
                    dependency=dependency.name,
                    error=describe(exc),
                )
                self._readiness.waiting(dependency.name, describe(exc))

    async def watch(self, dependencies: Sequence[Dependency], interval_s: float) -> None:
        """After the start, until cancelled: probe every dependency every `interval_s`, so
        that readiness follows them (a broker restarting makes the process not ready). The
        clients reconnect by themselves; this only reports, one line each way."""
        while True:
            await asyncio.sleep(interval_s)
            await asyncio.gather(*(self._check(d) for d in dependencies))

    async def _check(self, dependency: Dependency) -> None:
        try:
            await self._probe(dependency)
        except Exception as exc:
            state = self._readiness.waiting(dependency.name, describe(exc))
            if state.attempts == 1:
                log.warning(
                    f"lost {dependency.name}", dependency=dependency.name, error=describe(exc)
                )
            return
        previous = self._readiness.state_of(dependency.name)
        if previous is not None and previous.state == "waiting":
            elapsed = time.monotonic() - previous.since_monotonic
            log.info(
                f"{dependency.name} answered again after {elapsed:.1f} s",
                dependency=dependency.name,
                waited_s=round(elapsed, 1),
            )
        self._readiness.answered(dependency.name)

    async def _probe(self, dependency: Dependency) -> None:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation that
        # arrives as the probe ends, and a SIGTERM must stop a wait
        async with asyncio.timeout(self._settings.dependency_probe_timeout_s):
            await dependency.probe()

    async def _wait_for(self, dependency: Dependency) -> None:
        settings = self._settings
        started = time.monotonic()

        def unreachable(exc: BaseException) -> bool:
            return dependency.unreachable(exc)

        def waiting(exc: BaseException) -> None:
            state = self._readiness.waiting(dependency.name, describe(exc))
            if state.attempts == 1:
                log.warning(
                    f"waiting for {dependency.name}", dependency=dependency.name,
                    error=describe(exc),
                )  # fmt: skip
            else:
                log.debug(f"{dependency.name} still not answering", error=describe(exc))

        attempts = retrying(
            settings.dependency_wait_initial_s, settings.dependency_wait_max_s,
            unreachable, waiting,
        )  # fmt: skip
        try:
            async for attempt in attempts:
                with attempt:
                    await self._probe(dependency)
        except Exception as exc:  # not an outage: a fault of the setup
            self._readiness.refused(dependency.name, describe(exc))
            raise DependencyRefused(dependency.name, exc) from exc
        self._readiness.answered(dependency.name)
        tries = int(attempts.statistics.get("attempt_number", 1))
        if tries > 1:
            elapsed = time.monotonic() - started
            log.info(
                f"{dependency.name} answered after {elapsed:.1f} s, {tries} attempts",
                dependency=dependency.name,
                waited_s=round(elapsed, 1),
                attempts=tries,
            )
