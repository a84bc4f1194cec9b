"""Small Kafka helpers for tests: topics, producing raw records, reading topics back, each
logged in as one principal (`KafkaAccess`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
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


async def partitions_of(consumer: AIOKafkaConsumer, *topics: str) -> list[TopicPartition]:
    """Every partition of `topics`, from fresh metadata: a consumer knows only the topics it
    has already seen."""
    await consumer._client.force_metadata_update()
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]


async def read_all(access: KafkaAccess, topics: Sequence[str]) -> list[ConsumerRecord]:
    """Every record of `topics` from the beginning to where each partition ended when the
    read began; fails if none of the topics is visible (a test reading nothing proves
    nothing)."""
    consumer = AIOKafkaConsumer(**access.client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = await partitions_of(consumer, *topics)
        assert partitions, f"none of {len(topics)} topics is visible, e.g. {topics[:1]}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for batch in (await consumer.getmany(timeout_ms=1_000)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()
