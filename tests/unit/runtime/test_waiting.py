"""Waiting for dependencies at start, and the readiness it reports (no servers: the
dependencies are stand-ins whose probes fail as told)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from services.runtime.dependencies import Dependency, DependencyRefused, StepFailed, Waiter
from services.runtime.health import health_app
from services.runtime.readiness import Readiness
from services.runtime.retry import Backoff
from services.runtime.settings import ServiceSettings
from tests.support.polling import eventually

SETTINGS = ServiceSettings(
    service="unit", dependency_wait_initial_s=0.001, dependency_wait_max_s=0.005
)


class Flaky:
    """A dependency down for its first `failures` probes."""

    def __init__(self, name: str, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionRefusedError("refused")
        self.probes = 0
        self.dependency = Dependency(name, self.probe, lambda exc: isinstance(exc, OSError))

    async def probe(self) -> None:
        self.probes += 1
        if self.probes <= self.failures:
            raise self.error


async def until(condition: Callable[[], bool]) -> None:
    async def holds() -> bool:
        return condition()

    await eventually(holds, bool, timeout_s=10, interval_s=0.001)


def test_a_new_process_is_not_ready_and_says_what_it_has_not_checked() -> None:
    readiness = Readiness("unit-0")
    readiness.expect("postgresql")
    report = readiness.report()
    assert not readiness.is_ready
    assert report["status"] == "starting"
    assert report["dependencies"]["postgresql"]["state"] == "unknown"


def test_a_wait_keeps_its_start_and_counts_its_attempts() -> None:
    readiness = Readiness("unit-0")
    first = readiness.waiting("kafka", "refused")
    second = readiness.waiting("kafka", "timed out")
    assert (second.since, second.attempts, second.error) == (first.since, 2, "timed out")
    assert readiness.report()["status"] == "waiting"
    assert readiness.waiting_for == ["kafka"]


def test_ready_takes_a_started_process_and_every_dependency_answering() -> None:
    readiness = Readiness("unit-0")
    readiness.answered("kafka")
    assert not readiness.is_ready  # still starting
    readiness.phase = "ready"
    assert readiness.is_ready
    readiness.waiting("kafka", "refused")
    assert not readiness.is_ready


async def test_the_waiter_probes_until_every_dependency_answers() -> None:
    readiness = Readiness("unit-0")
    postgres, kafka = Flaky("postgresql", 3), Flaky("kafka", 0)
    await Waiter(SETTINGS, readiness).wait(postgres.dependency, kafka.dependency)
    assert (postgres.probes, kafka.probes) == (4, 1)
    assert readiness.waiting_for == []


async def test_a_fault_waiting_cannot_mend_ends_the_wait() -> None:
    readiness = Readiness("unit-0")
    refused = Flaky("postgresql", 10, PermissionError("password authentication failed"))
    refused.dependency = Dependency("postgresql", refused.probe, lambda exc: False)
    with pytest.raises(DependencyRefused, match="postgresql refused: PermissionError"):
        await Waiter(SETTINGS, readiness).wait(refused.dependency)
    state = readiness.state_of("postgresql")
    assert state is not None
    assert state.state == "refused"


async def test_a_step_that_loses_its_dependency_waits_for_it_again_and_retries() -> None:
    readiness = Readiness("unit-0")
    database = Flaky("postgresql", 0)
    calls = 0

    async def migrate() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            database.failures = database.probes + 2  # it goes away for two probes
            raise ConnectionResetError("lost")
        return "migrated"

    assert await Waiter(SETTINGS, readiness).use(database.dependency, "migrations", migrate) == (
        "migrated"
    )
    assert calls == 2


async def test_a_step_failing_for_another_reason_is_not_retried() -> None:
    readiness = Readiness("unit-0")

    async def broken_migration() -> None:
        raise ValueError("syntax error at or near")

    with pytest.raises(StepFailed, match="m failed: ValueError: syntax error"):
        await Waiter(SETTINGS, readiness).use(
            Flaky("postgresql", 0).dependency, "m", broken_migration
        )


@pytest.mark.parametrize("after_s", [0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.05])
async def test_a_wait_is_cancelled_at_once(after_s: float) -> None:
    """Whenever the cancellation lands (in a probe, as it ends, in the backoff): Python
    3.11's wait_for lost one that arrived as its awaitable finished."""
    never = Flaky("kafka", 10**9)
    wait = asyncio.create_task(Waiter(SETTINGS, Readiness("unit-0")).wait(never.dependency))
    await asyncio.sleep(after_s)
    wait.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(wait, 5)


async def test_the_endpoint_answers_503_with_the_report_until_ready_then_200() -> None:
    readiness = Readiness("unit-0")
    readiness.waiting("kafka", "KafkaUnreachable: refused")
    transport = httpx.ASGITransport(app=health_app(readiness))
    async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
        live = await client.get("/health/live")
        assert live.status_code == 200
        not_ready = await client.get("/health/ready")
        assert not_ready.status_code == 503
        assert not_ready.json()["dependencies"]["kafka"]["error"] == "KafkaUnreachable: refused"
        readiness.answered("kafka")
        readiness.phase = "ready"
        ready = await client.get("/health/ready")
        assert (ready.status_code, ready.json()["status"]) == (200, "ready")


def test_the_backoff_stays_capped_however_long_the_outage() -> None:
    backoff = Backoff(initial_s=0.5, max_s=5.0)
    backoff.attempt = 5_000  # some 7 hours of 5 s waits
    assert 2.5 <= backoff.next_delay() <= 5.0


async def test_once_started_the_watch_makes_a_lost_dependency_unready_until_it_answers() -> None:
    readiness = Readiness("unit-0")
    broker = Flaky("kafka", 0)
    await Waiter(SETTINGS, readiness).wait(broker.dependency)
    readiness.phase = "ready"
    assert readiness.is_ready
    watch = asyncio.create_task(Waiter(SETTINGS, readiness).watch([broker.dependency], 0.001))
    try:
        broker.failures = broker.probes + 1_000_000  # the broker goes away
        await until(lambda: not readiness.is_ready)
        assert readiness.report()["status"] == "waiting"
        broker.failures = 0  # and comes back
        await until(lambda: readiness.is_ready)
        assert readiness.report()["status"] == "ready"
    finally:
        watch.cancel()
