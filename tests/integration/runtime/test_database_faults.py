"""Transient database failures: the service retries with backoff and nothing is lost or
doubled, even when a connection dies while a COMMIT's outcome is unknown."""

from __future__ import annotations

import asyncio
import contextlib
import random

import asyncpg
import pytest

from tests.integration.runtime.conftest import REPLIES, CounterHarness
from tests.support.environment import database_name

pytestmark = pytest.mark.integration


async def test_killed_database_connections_neither_lose_nor_double_anything(
    counter: CounterHarness,
) -> None:
    rng = random.Random(11)
    commands = [counter.add(f"acct-{rng.randrange(10)}", rng.randrange(1, 100)) for _ in range(800)]
    expected: dict[str, int] = {}
    for command in commands:
        account = command.payload.account
        expected[account] = expected.get(account, 0) + command.payload.amount

    await counter.process().start().wait_started()
    database = database_name(counter.database_url)
    admin = await asyncpg.connect(counter.servers.postgres_dsn)
    killed = 0

    async def kill_connections() -> None:
        nonlocal killed
        while True:
            # the service's sessions only (its own login): never an autovacuum worker
            killed += await admin.fetchval(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = $1 AND pid <> pg_backend_pid()
                   AND backend_type = 'client backend' AND usename = 'counter'
                """,
                database,
            )
            await asyncio.sleep(0.15)

    killer = asyncio.create_task(kill_connections())
    try:
        for start in range(0, len(commands), 100):  # a stream, not one burst
            await counter.send(*commands[start : start + 100])
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
    finally:
        killer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killer
        await admin.close()

    replies = await counter.read_distinct(counter.replies, len(commands), timeout_s=120)
    assert killed > 0, "the fault was never injected"
    totals = {r["account"]: r["total"] for r in await counter.query("SELECT * FROM counters")}
    assert totals == expected
    assert (await counter.query("SELECT count(*) FROM inbox"))[0][0] == len(commands)
    assert {REPLIES.decode(r.value).causation_id for r in replies} == {
        c.message_id for c in commands
    }
