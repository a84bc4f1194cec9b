"""The outbox relay under concurrent writers: it loses no row and keeps per-key order, with
transactions of varying length (ids commit out of order), rollbacks, and a relay failover."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

import pytest

from schemas import envelope
from services.runtime.db import create_pool
from services.runtime.relay import Relay, backlog, create_producer
from services.runtime.unit_of_work import UnitOfWork
from tests.integration.runtime.conftest import EVENTS, relay_settings
from tests.support.counter.contracts import Added
from tests.support.kafka import create_topics, delete_topics, read_until, unique_topic
from tests.support.polling import eventually
from tests.support.servers import Servers

pytestmark = pytest.mark.integration

KEYS = [f"k{n:02d}" for n in range(25)]
WRITERS = 40
TRANSACTIONS_PER_WRITER = 60


async def test_relay_loses_no_row_and_keeps_per_key_order(
    servers: Servers, counter_db: str
) -> None:
    topic = unique_topic("relay")
    await create_topics(servers.admin, topic, partitions=4)
    settings = relay_settings(servers, counter_db, relay_batch_size=100)
    pool = await create_pool(counter_db, min_size=WRITERS, max_size=WRITERS + 2)
    await pool.execute("CREATE TABLE key_seq (key text PRIMARY KEY, n int NOT NULL)")
    await pool.executemany("INSERT INTO key_seq VALUES ($1, 0)", [(k,) for k in KEYS])

    async def writer(seed: int) -> int:
        rng = random.Random(seed)
        committed = 0
        for _ in range(TRANSACTIONS_PER_WRITER):
            key, rows = rng.choice(KEYS), rng.randint(1, 3)
            async with UnitOfWork(pool) as uow:
                # the aggregate's row lock orders writers of one key, as a handler would
                last = await uow.connection.fetchval(
                    "UPDATE key_seq SET n = n + $2 WHERE key = $1 RETURNING n", key, rows
                )
                await asyncio.sleep(rng.choice([0, 0, 0.001, 0.005, 0.03]))  # varying length
                for seq in range(last - rows + 1, last + 1):
                    uow.outbox.add(
                        topic,
                        key,
                        envelope(
                            Added(account=key, amount=seq, total=seq),
                            producer="relaytest",
                            correlation_id=uuid.uuid4(),
                        ),
                    )
                if rng.random() < 0.15:
                    continue  # leaves without commit: rolled back, sequence included
                await uow.commit()
                committed += rows
        return committed

    producers = [create_producer(settings) for _ in range(2)]
    for producer in producers:
        await producer.start()
    first, standby = (asyncio.create_task(Relay(settings, p).run()) for p in producers)
    try:
        writers = asyncio.gather(*(writer(seed) for seed in range(WRITERS)))
        await asyncio.sleep(1.0)
        first.cancel()  # fail over mid-stream: the standby takes the leader lock
        total = sum(await writers)
        async with pool.acquire() as connection:
            await eventually(
                lambda: backlog(connection), lambda rows: rows == 0, what="the outbox's backlog"
            )

        records = await read_until(
            servers.kafka_as("counter"),
            topic,
            lambda rs: len({dict(r.headers)["message_id"] for r in rs}) >= total,
            timeout_s=120,
        )
    finally:
        for task in (first, standby):
            task.cancel()
        await asyncio.gather(first, standby, return_exceptions=True)
        for producer in producers:
            await producer.stop()
        await delete_topics(servers.admin, topic)

    expected = {r["key"]: r["n"] for r in await pool.fetch("SELECT key, n FROM key_seq")}
    await pool.close()
    seen: set[uuid.UUID] = set()
    per_key: dict[str, list[int]] = defaultdict(list)
    for record in records:  # a failover may publish a batch twice: keep first sightings
        message = EVENTS.decode(record.value)
        if message.message_id not in seen:
            seen.add(message.message_id)
            per_key[message.payload.account].append(message.payload.amount)
    assert total == sum(expected.values()) > WRITERS * TRANSACTIONS_PER_WRITER
    for key, last in expected.items():
        assert per_key[key] == list(range(1, last + 1)), f"{key}: lost, extra or out of order"
