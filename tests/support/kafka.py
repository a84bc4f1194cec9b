"""Small Kafka helpers for tests: topics, producing raw records, reading topics back, each
logged in as one principal (`KafkaAccess`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.runtime.access import KafkaAccess


async def create_topics(access: KafkaAccess, *names: str, partitions: int = 4) -> None:
    admin = AIOKafkaAdminClient(**access.client_options())
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


async def delete_topics(access: KafkaAccess, *names: str) -> None:
    """Tests delete what they create: a broker that keeps every test's partitions starts
    slower each time."""
    admin = AIOKafkaAdminClient(**access.client_options())
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()


def unique_topic(prefix: str) -> str:
    return f"test.{prefix}.{uuid.uuid4().hex[:10]}"


async def produce(
    access: KafkaAccess,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes]],
    headers: Sequence[list[tuple[str, bytes]]] | None = None,
) -> None:
    producer = AIOKafkaProducer(**access.client_options(), enable_idempotence=True)
    await producer.start()
    try:
        deliveries = [
            await producer.send(topic, value, key=key, headers=headers[n] if headers else None)
            for n, (key, value) in enumerate(records)
        ]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def read_until(
    access: KafkaAccess,
    topic: str,
    done: Callable[[list[ConsumerRecord]], bool],
    timeout_s: float = 60.0,
) -> list[ConsumerRecord]:
    """Read `topic` from the beginning until `done(records)` holds; fails on timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        **access.client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not done(records):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{topic}: condition not met after {timeout_s} s; read {len(records)} records"
                )
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()
