"""The machine's own limits, measured in the same run on the same broker and server:
raw aiokafka produce and consume throughput, and PostgreSQL commit throughput batched as
the runtime batches (inbox-like rows, many per transaction, written by COPY: the server's
fastest way in, so the bound stays optimistic; the runtime writes by INSERT .. unnest, one
round trip less) and unbatched (one row per transaction, as the simulated bank books each
payment order)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.runtime.access import KafkaAccess
from tests.support.servers import Servers

MESSAGE_BYTES = 600
"""About the size of a saga command or reply envelope on the wire."""
ROWS_PER_TRANSACTION = 500
"""The runtime's default batch (CNH_BATCH_MAX_RECORDS)."""


@dataclass(frozen=True)
class Limits:
    kafka_produce_msg_s: float
    kafka_consume_msg_s: float
    pg_batched_rows_s: float
    pg_batched_tx_s: float
    pg_single_row_tx_s: float
    messages: int
    message_bytes: int
    rows_per_transaction: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def measure(servers: Servers, messages: int, rows: int) -> Limits:
    """The raw rates, with the platform's own security: TLS + SCRAM logins (the admin's),
    password authentication."""
    produce, consume = await _kafka(servers.admin, messages)
    batched_rows, batched_tx, single = await _postgres(servers, rows)
    return Limits(
        produce, consume, batched_rows, batched_tx, single, messages, MESSAGE_BYTES,
        ROWS_PER_TRANSACTION,
    )  # fmt: skip


async def _kafka(kafka: KafkaAccess, messages: int) -> tuple[float, float]:
    topic = f"bench-limits-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 8, 1)])
        # the platform's own producer settings: idempotent, acks=all (relay.create_producer)
        producer = AIOKafkaProducer(
            **kafka.client_options(), enable_idempotence=True, acks="all", linger_ms=2,
            max_batch_size=256 * 1024,
        )  # fmt: skip
        await producer.start()
        value = b"x" * MESSAGE_BYTES
        try:
            started = time.perf_counter()
            pending = []
            for n in range(messages):
                pending.append(await producer.send(topic, value, key=str(n % 512).encode()))
                if len(pending) >= 2_000:  # as the relay does: send a batch, await its acks
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
            produce = messages / (time.perf_counter() - started)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic, **kafka.client_options(), group_id=None, auto_offset_reset="earliest",
            max_poll_records=2_000,
        )  # fmt: skip
        await consumer.start()
        try:
            started = time.perf_counter()
            seen = 0
            while seen < messages:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    seen += len(batch)
            consume = messages / (time.perf_counter() - started)
        finally:
            await consumer.stop()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    return produce, consume


async def _postgres(servers: Servers, rows: int) -> tuple[float, float, float]:
    # a scratch database of its own, apart from every service's
    scratch = f"bench_limits_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        connection = await asyncpg.connect(servers.dsn(scratch))
        try:
            return await _commits(connection, rows)
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()


async def _commits(connection: asyncpg.Connection, rows: int) -> tuple[float, float, float]:
    table = "commits"
    await connection.execute(
        f"CREATE TABLE {table} (consumer text, message_id uuid, body bytea, "
        "PRIMARY KEY (consumer, message_id))"
    )
    body = b"x" * 300
    started = time.perf_counter()
    transactions = 0
    for start in range(0, rows, ROWS_PER_TRANSACTION):
        count = min(ROWS_PER_TRANSACTION, rows - start)
        async with connection.transaction():
            await connection.copy_records_to_table(
                table,
                columns=("consumer", "message_id", "body"),
                records=[("bench", uuid.uuid4(), body) for _ in range(count)],
            )
        transactions += 1
    elapsed = time.perf_counter() - started
    single_n = max(200, rows // 50)
    started = time.perf_counter()
    for _ in range(single_n):  # autocommit: one fsync'd commit per row
        await connection.execute(
            f"INSERT INTO {table} VALUES ('single', $1, $2)", uuid.uuid4(), body
        )
    single = single_n / (time.perf_counter() - started)
    return rows / elapsed, transactions / elapsed, single
