"""FastStream wiring: the broker and the batch subscriber every service consumes with.

The subscriber hands raw records to the runtime: FastStream's own header decoding and JSON
decoding are bypassed, because a record they cannot read would never reach a handler and
would be lost once a later batch is acknowledged. Offsets are committed by hand (MANUAL
ack policy), only after the batch's database transaction committed, and in the background
(`Positions`): the next batch does not wait for the broker's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic

from services.runtime.errors import describe
from services.runtime.logging import get_logger
from services.runtime.records import Record
from services.runtime.retry import Backoff
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

BatchCallback = Callable[[Sequence[Record]], Awaitable[None]]


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    access = settings.kafka
    return KafkaBroker(
        access.bootstrap,
        security=access.faststream_security(),
        client_id=settings.client_id,
        # every consumer of the service is built with these (access.Timings: why)
        retry_backoff_ms=access.timings.retry_backoff_ms,
        metadata_max_age_ms=access.timings.metadata_max_age_ms,
        request_timeout_ms=access.timings.request_timeout_ms,
        enable_idempotence=True,
        acks="all",
        # Through the root handler, so FastStream's lines are JSON like ours; its
        # per-batch "Received"/"Processed" lines only at DEBUG.
        logger=logging.getLogger("services.runtime.faststream"),
        log_level=logging.DEBUG,
    )


async def _parse_keeping_records(records: Any, original_parser: Callable[..., Any]) -> Any:
    """FastStream's parser decodes header values as UTF-8 and raises on anything else;
    parse a sanitised copy but keep the original records for the handler."""
    originals = records if isinstance(records, tuple) else (records,)
    message = await original_parser(tuple(_text_headers(record) for record in originals))
    message.raw_message = originals
    return message


async def _message_as_body(message: Any, original_decoder: Callable[..., Any]) -> Any:
    """The runtime's codec decodes each record itself; the handler gets FastStream's message
    as its body. Taking it through `Context` instead would resolve it in a worker thread for
    every batch (FastStream resolves context fields with a synchronous function, which its
    dependency injection runs in a thread pool): ~1 ms of every hop, measured."""
    return message


def _text_headers(record: Any) -> Any:
    if all(_is_text(value) for _, value in record.headers or ()):
        return record
    safe = [(name, value if _is_text(value) else b"") for name, value in record.headers]
    return dataclasses.replace(record, headers=safe)


def _is_text(value: bytes | None) -> bool:
    try:
        (value or b"").decode()
    except UnicodeDecodeError:
        return False
    return True


class Positions:
    """Commits a subscription's consumed positions to Kafka in the background.

    Waiting for each commit made every batch a Kafka round trip longer (7-10 ms measured
    on the bench machine, a third of a batch's time). A position is handed over only once
    its records are committed in the database, so committing it late, or not at all, can
    only offer those records again, and the inbox recognises them. At most one commit is
    in flight; the positions handed over meanwhile go in the next one.
    """

    def __init__(self, subscription: str, backoff: Backoff) -> None:
        self._subscription = subscription
        self._backoff = backoff
        self._pending: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._committing: asyncio.Task[None] | None = None

    def advance(self, consumer: AIOKafkaConsumer, records: Sequence[Any]) -> None:
        """The records are applied: their partitions may move past them."""
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._pending[partition] = max(self._pending.get(partition, 0), record.offset + 1)
        self._consumer = consumer
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_pending())

    async def flush(self) -> None:
        """Wait for the positions handed over so far to be committed (at shutdown)."""
        if self._committing is not None:
            with contextlib.suppress(Exception):
                await self._committing

    async def _commit_pending(self) -> None:
        while self._pending and self._consumer is not None:
            consumer, offsets, self._pending = self._consumer, self._pending, {}
            # a partition lost to a rebalance is its new owner's to commit
            offsets = {p: o for p, o in offsets.items() if p in consumer.assignment()}
            if not offsets:
                continue
            try:
                await consumer.commit(offsets)
                self._backoff.reset()
            except CommitFailedError as exc:
                log.info("positions not committed: the group rebalanced", error=describe(exc))
            except Exception as exc:
                log.warning(
                    "could not commit positions; retrying",
                    subscription=self._subscription,
                    error=describe(exc),
                )
                for partition, offset in offsets.items():
                    self._pending[partition] = max(self._pending.get(partition, 0), offset)
                await self._backoff.wait()


def subscribe_batches(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    callback: BatchCallback,
) -> Positions:
    """Consume the logical `topic` in batches with the service's consumer group; `callback`
    must return only when every record is dealt with (applied, replayed or dead-lettered).
    The returned `Positions` should be flushed at shutdown."""
    positions = Positions(
        settings.topic(topic),
        Backoff(settings.retry_initial_backoff_s, settings.kafka_retry_max_backoff_s),
    )

    subscriber = broker.subscriber(
        # the registry's topics exist (make topics) with their partitions and configs:
        # FastStream must not create one with its defaults, nor try to (under ACLs it may not)
        Topic(settings.topic(topic), declare=False),
        # one group per subscription: a service's topics never rebalance each other, and
        # replicas still share each topic's partitions
        group_id=f"{settings.consumer_group}.{topic}",
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        group_instance_id=settings.client_id if settings.kafka_static_membership else None,
        ack_policy=AckPolicy.MANUAL,
        # replies are the runtime's (through the outbox, after the commit): FastStream's own
        # would publish the callback's None to every record's reply_to header
        no_reply=True,
        parser=_parse_keeping_records,
        decoder=_message_as_body,
        title=f"{settings.service}:{settings.topic(topic)}",
    )

    @subscriber
    async def on_batch(message: Any) -> None:
        await callback([Record.from_consumer_record(r) for r in message.raw_message])
        positions.advance(message.consumer, message.raw_message)  # after the database commit

    subscriber.get_msg = functools.partial(_next_batch, settings)  # type: ignore[method-assign]
    return positions


async def _next_batch(settings: ServiceSettings, consumer: AIOKafkaConsumer) -> tuple[Any, ...]:
    """The records that arrived, waiting up to the batch timeout for the first one.

    FastStream's own fetch sleeps another batch timeout after every empty wait: a record
    arriving then waits for nothing, on every hop of a saga (the broker's fetch already
    blocks until data arrives, so the sleep saves no work)."""
    batches = await consumer.getmany(
        timeout_ms=settings.batch_timeout_ms, max_records=settings.batch_max_records
    )
    return tuple(itertools.chain.from_iterable(batches.values()))
