"""Outbox relay throughput on the real broker and server: `make bench-relay`.

Fills an outbox in a scratch database with ROWS committed messages (batched transactions,
as consumers write them), then times one relay publishing all of them with the idempotent
producer (acks=all) and marking them, in batches of the configured size.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg

from schemas import envelope
from schemas.runtime import Rejected
from services.runtime.access import KafkaAccess
from services.runtime.db import create_pool
from services.runtime.migrate import upgrade_async
from services.runtime.relay import Relay, backlog, create_producer
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import UnitOfWork

ROWS = int(os.environ.get("BENCH_ROWS", "50000"))
ROWS_PER_TRANSACTION = 500
TOPIC = "bench.relay"


async def main() -> None:
    # the admin's logins (the cluster's superuser, Kafka's admin): a scratch database and a
    # scratch topic, apart from the platform's
    admin_dsn = ServiceSettings(service="postgres", principal="admin").database_url
    scratch = f"bench_relay_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    settings = ServiceSettings(
        service=scratch,
        principal="admin",
        relay_batch_size=int(os.environ.get("BENCH_BATCH", "2000")),
    )
    try:
        await upgrade_async(settings.database_url)
        await _ensure_topic(settings.kafka)
        pool = await create_pool(settings.database_url)
        started = time.perf_counter()
        payload = Rejected(reason="bench", detail="x" * 120)
        for start in range(0, ROWS, ROWS_PER_TRANSACTION):
            async with UnitOfWork(pool) as uow:
                for n in range(start, min(ROWS, start + ROWS_PER_TRANSACTION)):
                    env = envelope(payload, producer="bench", correlation_id=uuid.uuid4())
                    uow.outbox.add(TOPIC, f"key-{n % 64}", env)
                await uow.commit()
        write_s = time.perf_counter() - started
        print(
            f"outbox writes: {ROWS} rows in {write_s:.2f} s = {ROWS / write_s:,.0f} rows/s "
            f"({ROWS_PER_TRANSACTION} per transaction, COPY)"
        )

        producer = create_producer(settings)
        await producer.start()
        relay = Relay(settings, producer)
        connection = await asyncpg.connect(settings.database_url)
        started = time.perf_counter()
        while await relay.relay_once(connection):
            pass
        relay_s = time.perf_counter() - started
        assert await backlog(connection) == 0
        await connection.close()
        await producer.stop()
        await pool.close()
        print(
            f"relay: {relay.published} messages in {relay_s:.2f} s = "
            f"{relay.published / relay_s:,.0f} msg/s (batch {settings.relay_batch_size}, "
            f"idempotent producer, acks=all, ~{len(env.to_bytes())} B each)"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()


async def _ensure_topic(kafka: KafkaAccess) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 8, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
