"""FastStream wiring: the broker and the batch subscriber every service consumes with.

The subscriber hands raw records to the runtime: FastStream's own header decoding and JSON
decoding are bypassed, because a record they cannot read would never reach a handler and
would be lost once a later batch is acknowledged. Offsets are committed by hand (MANUAL
ack policy), only after the batch's database transaction committed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.runtime.records import Record
from services.runtime.settings import ServiceSettings

BatchCallback = Callable[[Sequence[Record]], Awaitable[None]]


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.client_id,
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


async def _no_decode(message: Any, original_decoder: Callable[..., Any]) -> None:
    return None  # the runtime's codec decodes each record itself


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


def subscribe_batches(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topic: str,
    callback: BatchCallback,
) -> None:
    """Consume the logical `topic` in batches with the service's consumer group; `callback`
    must return only when every record is dealt with (applied, replayed or dead-lettered)."""

    @broker.subscriber(
        settings.topic(topic),
        # one group per subscription: a service's topics never rebalance each other, and
        # replicas still share each topic's partitions
        group_id=f"{settings.consumer_group}.{topic}",
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        # replies are the runtime's (through the outbox, after the commit): FastStream's own
        # would publish the callback's None to every record's reply_to header
        no_reply=True,
        parser=_parse_keeping_records,
        decoder=_no_decode,
        title=f"{settings.service}:{settings.topic(topic)}",
    )
    async def on_batch(message: KafkaMessage) -> None:
        await callback([Record.from_consumer_record(r) for r in message.raw_message])
        await message.ack()  # commits the consumer's position: after the database commit
