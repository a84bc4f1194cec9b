"""A service started while PostgreSQL or Kafka is down waits for it, says so on its health
endpoint, and starts working when it returns; a fault that waiting cannot mend still ends
the start. The servers are 'down' behind a Gate (tests/support/gate.py): the session's own
servers never stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.runtime.conftest import REPLIES, CounterHarness
from tests.support.environment import copy_database, database_name, drop_database
from tests.support.gate import Gate, free_port
from tests.support.polling import eventually
from tests.support.process import ServiceProcess

pytestmark = pytest.mark.integration

QUICK_WAITS = {"CNH_DEPENDENCY_WAIT_INITIAL_S": "0.05", "CNH_DEPENDENCY_WAIT_MAX_S": "0.5"}

Report = tuple[int, dict[str, Any]]


async def readiness(port: int) -> Report:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
    return response.status_code, response.json()


async def reported(
    process: ServiceProcess, port: int, until: Callable[[Report], bool], timeout_s: float = 60
) -> Report:
    """The readiness report once `until` holds; the process must stay alive meanwhile."""

    async def report() -> Report | None:
        if not process.running:
            raise AssertionError(f"the service exited while waiting:\n{process.log_tail()}")
        try:
            return await readiness(port)
        except httpx.HTTPError:
            return None  # not serving yet

    found = await eventually(
        report, lambda r: r is not None and until(r), timeout_s=timeout_s, what="the report"
    )
    assert found is not None
    return found


def waiting_for(name: str) -> Callable[[Report], bool]:
    def holds(report: Report) -> bool:
        code, body = report
        state = body["dependencies"].get(name, {})
        return code == 503 and state.get("state") == "waiting" and state.get("attempts", 0) >= 2

    return holds


async def add_and_read_reply(counter: CounterHarness) -> None:
    command = counter.add("acct-1", 5)
    await counter.send(command)
    (reply,) = await counter.read(counter.replies, 1, timeout_s=120)
    assert REPLIES.decode(reply.value).causation_id == command.message_id


async def test_started_while_postgresql_is_down_it_waits_then_migrates_and_works(
    counter: CounterHarness,
) -> None:
    servers = counter.servers
    empty = await copy_database(servers, "template0", "counter")  # the start must migrate it
    port = free_port()
    try:
        async with Gate(servers.postgres_address) as postgres:
            url = empty.replace(servers.postgres_address, postgres.address)
            process = counter.process().start(
                CNH_DATABASE_URL=url, CNH_HEALTH_PORT=str(port), **QUICK_WAITS
            )
            _, body = await reported(process, port, waiting_for("postgresql"))
            assert body["status"] == "waiting"
            assert "ConnectionRefusedError" in body["dependencies"]["postgresql"]["error"]

            await postgres.open()
            await process.wait_started(timeout_s=120)
            code, body = await readiness(port)
            assert (code, body["status"]) == (200, "ready")
            counter.database_url = empty  # the counter's reads go to the database it used
            await add_and_read_reply(counter)
            assert [
                tuple(r) for r in await counter.query("SELECT account, total FROM counters")
            ] == [("acct-1", 5)]
            log = process.log_path.read_text()
            assert log.count('"waiting for postgresql"') == 1, "one line when the wait begins"
            assert "postgresql answered after" in log
            process.stop()
    finally:
        await drop_database(servers, empty)


async def test_started_while_kafka_is_down_it_waits_then_consumes(
    counter: CounterHarness,
) -> None:
    port = free_port()
    async with Gate(counter.servers.kafka_bootstrap) as kafka:
        process = counter.process().start(
            CNH_KAFKA_BOOTSTRAP=kafka.address, CNH_HEALTH_PORT=str(port), **QUICK_WAITS
        )
        _, body = await reported(process, port, waiting_for("kafka"))
        assert body["status"] == "waiting"

        await kafka.open()  # the bootstrap goes through it; the broker then names itself
        await process.wait_started(timeout_s=120)
        assert (await readiness(port))[0] == 200
        await add_and_read_reply(counter)
        log = process.log_path.read_text()
        assert log.count('"waiting for kafka"') == 1
        assert "kafka answered after" in log
        assert log.count("Unable connect to") == 1, "the probes' own lines are summarised"
        process.stop()


@pytest.mark.parametrize(
    ("admitted", "step"),
    [(1, "starting the relay"), (2, "starting the subscribers")],  # each bootstraps once
)
async def test_a_start_step_that_loses_kafka_waits_for_it_again(
    counter: CounterHarness, admitted: int, step: str
) -> None:
    """The probe answers, then the broker goes away before the relay's producer or the
    subscribers (FastStream's broker start) started: the step fails, the process waits
    again, and starts once it is back."""
    port = free_port()
    async with Gate(counter.servers.kafka_bootstrap) as kafka:
        await kafka.open(admit=admitted)  # the probe's bootstrap, then the relay's
        process = counter.process().start(
            CNH_KAFKA_BOOTSTRAP=kafka.address, CNH_HEALTH_PORT=str(port), **QUICK_WAITS
        )
        await reported(process, port, waiting_for("kafka"))
        assert f'"lost kafka during {step}"' in process.log_path.read_text()

        await kafka.open()
        await process.wait_started(timeout_s=120)
        await add_and_read_reply(counter)
        process.stop()


async def test_sigterm_while_waiting_stops_the_process_cleanly(counter: CounterHarness) -> None:
    port = free_port()
    async with Gate(counter.servers.postgres_address) as postgres:
        url = counter.database_url.replace(counter.servers.postgres_address, postgres.address)
        process = counter.process().start(
            CNH_DATABASE_URL=url, CNH_HEALTH_PORT=str(port), **QUICK_WAITS
        )
        await reported(process, port, waiting_for("postgresql"))
        process.stop()  # SIGTERM
        assert process.process is not None
        assert process.process.returncode == 0, process.log_tail()
        assert "service stopped before it started" in process.log_path.read_text()


async def test_a_fault_waiting_cannot_mend_still_ends_the_start(counter: CounterHarness) -> None:
    missing = counter.database_url.replace(database_name(counter.database_url), "no_such_db")
    process = counter.process().start(CNH_DATABASE_URL=missing, **QUICK_WAITS)
    assert await process.wait_exit(timeout_s=60) == 1
    log = process.log_path.read_text()
    assert "service cannot start" in log
    assert "postgresql refused: InvalidCatalogNameError" in log


async def test_a_migration_failing_for_an_sql_error_ends_the_start(
    counter: CounterHarness,
) -> None:
    servers = counter.servers
    clashing = await copy_database(servers, "template0", "counter")
    try:
        connection = await asyncpg.connect(clashing)
        try:  # a table of the runtime's first migration, but not made by it
            await connection.execute("CREATE TABLE outbox (id int)")
        finally:
            await connection.close()
        process = counter.process().start(CNH_DATABASE_URL=clashing, **QUICK_WAITS)
        assert await process.wait_exit(timeout_s=60) == 1
        log = process.log_path.read_text()
        assert "migrations failed: DuplicateTableError: sqlstate 42P07" in log
        assert "service cannot start" in log
    finally:
        await drop_database(servers, clashing)


async def test_a_refused_password_is_not_waited_for(counter: CounterHarness) -> None:
    address, database = counter.servers.postgres_address, database_name(counter.database_url)
    wrong = f"postgresql://counter:not-its-password@{address}/{database}"
    process = counter.process().start(CNH_DATABASE_URL=wrong, **QUICK_WAITS)
    assert await process.wait_exit(timeout_s=60) == 1
    assert "postgresql refused: InvalidPasswordError" in process.log_path.read_text()


async def test_a_health_port_in_use_ends_the_start(counter: CounterHarness) -> None:
    taken = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    try:
        port = taken.sockets[0].getsockname()[1]
        process = counter.process().start(CNH_HEALTH_PORT=str(port))
        assert await process.wait_exit(timeout_s=60) == 1
        assert f"health endpoint: cannot listen on 127.0.0.1:{port}" in process.log_tail()
    finally:
        taken.close()
