"""Attempts against the real broker: may this principal write, read or join this?

Each probe logs in as one principal and reports what the broker let it do, as a plain
`bool`, so that a test can hold the answers against the registry's grants. Group joins go
through librdkafka (confluent-kafka), which reports a group authorization failure as an
error; aiokafka's consumer retries it quietly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from confluent_kafka import Consumer, KafkaError

from services.runtime.access import KafkaAccess

DENIED_CODES = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED}


async def accepted(kafka: KafkaAccess, records: Sequence[tuple[str, bytes, bytes]]) -> list[bool]:
    """For each (topic, key, value), in order: did the broker accept it from this principal?"""
    producer = AIOKafkaProducer(**kafka.client_options(), request_timeout_ms=10_000)
    await producer.start()
    answers = []
    try:
        for topic, key, value in records:
            try:
                await producer.send_and_wait(topic, value, key=key)
                answers.append(True)
            except (TopicAuthorizationFailedError, GroupAuthorizationFailedError):
                answers.append(False)
    finally:
        await producer.stop()
    return answers


async def writes(kafka: KafkaAccess, topics: Sequence[str]) -> dict[str, bool]:
    """For each topic: did the broker accept a record from this principal?"""
    answers = await accepted(kafka, [(topic, b"probe", b"probe") for topic in topics])
    return dict(zip(topics, answers, strict=True))


async def reads(
    kafka: KafkaAccess, topics: Sequence[str], timeout_s: float = 30
) -> dict[str, bool]:
    """For each topic (holding a record at partition 0, offset 0): did this principal get it?

    A topic it may not even describe is refused in the metadata; one it may describe (a
    writer) but not read is refused at the fetch, which aiokafka raises from getmany."""
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=None, enable_auto_commit=False, request_timeout_ms=10_000
    )
    await consumer.start()
    answers: dict[str, bool] = {}
    try:
        await consumer._client.set_topics(list(topics))  # metadata for exactly these
        await consumer._client.force_metadata_update()
        refused = set(consumer._client.cluster.unauthorized_topics)
        answers |= {t: False for t in topics if t in refused}
        pending = {TopicPartition(t, 0) for t in topics if t not in refused}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            consumer.assign(sorted(pending))
            for tp in pending:
                consumer.seek(tp, 0)
            try:
                batches = await consumer.getmany(timeout_ms=500)
            except TopicAuthorizationFailedError as exc:
                denied = set(exc.args[0] if isinstance(exc.args[0], list | set) else exc.args)
                answers |= {t: False for t in denied}
                pending = {tp for tp in pending if tp.topic not in denied}
                continue
            for tp, records in batches.items():
                if records:
                    answers[tp.topic] = True
                    pending.discard(tp)
    finally:
        await consumer.stop()
    missing = set(topics) - answers.keys()
    if missing:
        raise AssertionError(f"{kafka.principal}: no answer for {sorted(missing)}")
    return answers


def _consumer(kafka: KafkaAccess, group: str) -> Consumer:
    config = {
        **kafka.librdkafka_config(),
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
    return Consumer(config)


def _joins(kafka: KafkaAccess, topic: str, group: str, timeout_s: float) -> bool:
    consumer = _consumer(kafka, group)
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if consumer.assignment():
                return True
            error = message.error() if message is not None else None
            if error is not None and error.code() in DENIED_CODES:
                return False
        raise AssertionError(f"{kafka.principal}: neither joined nor refused {group}")
    finally:
        consumer.close()


async def joins(kafka: KafkaAccess, topic: str, group: str, timeout_s: float = 30) -> bool:
    """Could this principal consume `topic` in the consumer group `group`?"""
    return await asyncio.to_thread(_joins, kafka, topic, group, timeout_s)
