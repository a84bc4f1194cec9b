"""The relay parks a row the broker will never accept and goes on: a row addressed to a topic
that does not exist (auto topic creation is off) is set aside with its reason while the rows
behind it, of its own key too, are published; re-queued once the topic exists, it is
published."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from schemas import envelope
from services.runtime.db import Pool, create_pool
from services.runtime.parked import parked_rows, requeue
from services.runtime.refusals import UNKNOWN_TOPIC
from services.runtime.relay import Relay, backlog, create_producer
from services.runtime.unit_of_work import UnitOfWork
from tests.integration.runtime.conftest import EVENTS, relay_settings
from tests.support.counter.contracts import Added
from tests.support.kafka import create_topics, delete_topics, read_until, unique_topic
from tests.support.polling import eventually
from tests.support.servers import Servers

pytestmark = pytest.mark.integration

PROMPTLY_S = 10.0
"""Well below the 40 s aiokafka's `send` waits for the metadata of a missing topic."""


@pytest.fixture
async def pool(counter_db: str) -> AsyncIterator[Pool]:
    pool = await create_pool(counter_db, min_size=1, max_size=3)
    yield pool
    await pool.close()


async def write(pool: Pool, rows: list[tuple[str, str, int]]) -> list[uuid.UUID]:
    """Outbox rows (topic, key, amount) in one transaction, as a handler writes them."""
    async with UnitOfWork(pool) as uow:
        envelopes = []
        for topic, key, amount in rows:
            env = envelope(
                Added(account=key, amount=amount, total=amount),
                producer="relaytest",
                correlation_id=uuid.uuid4(),
            )
            uow.outbox.add(topic, key, env)
            envelopes.append(env)
        await uow.commit()
    return [env.message_id for env in envelopes]


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 30.0) -> None:
    await eventually(check, bool, timeout_s=timeout_s, interval_s=0.05)


async def test_a_row_to_a_missing_topic_is_parked_and_the_rows_behind_it_are_published(
    servers: Servers, counter_db: str, pool: Pool
) -> None:
    present, missing = unique_topic("present"), unique_topic("missing")
    await create_topics(servers.admin, present, partitions=2)
    settings = relay_settings(servers, counter_db, relay_metadata_timeout_s=3.0)
    ids = await write(
        pool,
        [(present, "a", 1), (missing, "a", 2), (present, "a", 3), (present, "b", 4)],
    )
    producer = create_producer(settings)
    await producer.start()
    relay = Relay(settings, producer)
    task = asyncio.create_task(relay.run())
    started = time.monotonic()
    try:
        published = await read_until(
            servers.kafka_as("counter"), present, lambda rs: len(rs) >= 3, timeout_s=PROMPTLY_S
        )
        elapsed = time.monotonic() - started
        by_key: dict[str, list[int]] = {}
        for record in published:
            added = EVENTS.decode(record.value).payload
            by_key.setdefault(added.account, []).append(added.amount)
        assert by_key == {"a": [1, 3], "b": [4]}, "the rows behind the parked one, in order"
        assert elapsed < PROMPTLY_S

        async with pool.acquire() as connection:

            async def parked_and_marked() -> bool:
                parked = await parked_rows(connection, "relaytest")
                return len(parked) == 1 and await backlog(connection) == 0

            await until(parked_and_marked)
            (row,) = await parked_rows(connection, "relaytest")
        assert (row.topic, row.reason) == (missing, UNKNOWN_TOPIC)
        assert relay.parked == 1, "parked (and logged) once, not on every pass"

        # the operator creates the topic and re-queues the row
        await create_topics(servers.admin, missing, partitions=2)
        async with pool.acquire() as connection:
            assert await requeue(connection, [row.id]) == [row.id]
        (late,) = await read_until(
            servers.kafka_as("counter"), missing, lambda rs: len(rs) >= 1, timeout_s=PROMPTLY_S
        )
        assert EVENTS.decode(late.value).message_id == ids[1]
        async with pool.acquire() as connection:

            async def drained() -> bool:
                parked = await parked_rows(connection, "relaytest")
                return not parked and await backlog(connection) == 0

            await until(drained)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()
        await delete_topics(servers.admin, present)
        with contextlib.suppress(Exception):  # not created if the test failed before
            await delete_topics(servers.admin, missing)
