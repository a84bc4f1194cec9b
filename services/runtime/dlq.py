"""Dead letters, for operators: list them, and re-inject them after a fix.

    python -m services.runtime.dlq list [--service S]             (make dlq)
    python -m services.runtime.dlq replay --id ID... | --all [--service S]   (make dlq-replay)

Replay publishes the original record (key, value, headers) to its source topic again. It
is safe to repeat: a record that was applied once is recognised by the consumer's inbox.
A letter of a topic that carries personal data holds only the record's digest: it is
skipped, and names the source offset to replay the original from.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas import Codec, DeadLetter, DecodeError, Envelope
from schemas.principals import OPERATOR, SERVICES
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.runtime.access import KafkaAccess
from services.runtime.settings import ServiceSettings

_CODEC = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)


@dataclass(frozen=True)
class Letter:
    topic: str
    envelope: Envelope[DeadLetter]

    @property
    def letter(self) -> DeadLetter:
        return self.envelope.payload


def _topic(namespace: str, name: str) -> str:
    return f"{namespace}.{name}" if namespace else name


async def read_letters(kafka: KafkaAccess, namespace: str, services: list[str]) -> list[Letter]:
    """Every dead letter currently in the services' dead-letter topics, oldest first."""
    topics = [_topic(namespace, f"{service}.dlq") for service in services]
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    letters: list[Letter] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in (consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    try:
                        letters.append(Letter(tp.topic, _CODEC.decode(record.value)))
                    except DecodeError:
                        continue  # not a dead letter of ours; nothing to replay
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda item: item.letter.failed_at)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # a topic this client has not seen yet
    return consumer.partitions_for_topic(topic) or set()


async def replay(kafka: KafkaAccess, letters: list[Letter]) -> int:
    producer = AIOKafkaProducer(
        **kafka.producer_options(), enable_idempotence=True, max_request_size=DEAD_LETTER_MAX_BYTES
    )
    await producer.start()
    try:
        for item in letters:
            letter = item.letter
            if letter.truncated or letter.value_b64 is None:
                # a personal-data topic's letter keeps a digest only (schemas/topics.py)
                why = "withheld (personal data)" if letter.value_digest else "cut"
                print(
                    f"  skip {item.envelope.message_id}: the stored copy is {why}; replay the "
                    f"original from {letter.source_topic}@{letter.source_partition}:"
                    f"{letter.source_offset}"
                )
                continue
            await producer.send_and_wait(
                letter.source_topic,
                base64.b64decode(letter.value_b64),
                key=base64.b64decode(letter.key_b64) if letter.key_b64 is not None else None,
                headers=[(h.key, base64.b64decode(h.value_b64)) for h in letter.headers],
            )
            print(f"  replayed {item.envelope.message_id} -> {letter.source_topic}")
    finally:
        await producer.stop()
    return len(letters)


def _print(letters: list[Letter]) -> None:
    if not letters:
        print("no dead letters")
        return
    for item in letters:
        letter = item.letter
        print(
            f"{item.envelope.message_id}  {letter.failed_at:%Y-%m-%d %H:%M:%S}  "
            f"{letter.service:<10} {letter.source_topic}@{letter.source_partition}:"
            f"{letter.source_offset}  {letter.reason}: {letter.detail[:100]}"
        )
    print(f"{len(letters)} dead letter(s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument(
        "--service",
        action="append",
        choices=SERVICES,
        help="only these services (repeatable); default all",
    )
    parser.add_argument(
        "--id",
        action="append",
        type=uuid.UUID,
        default=[],
        help="the dead letter to replay (repeatable)",
    )
    parser.add_argument("--all", action="store_true", help="replay every listed dead letter")
    parser.add_argument("--namespace", default=os.environ.get("CNH_TOPIC_NAMESPACE", ""))
    args = parser.parse_args()
    # the operator's login: it reads every dead-letter topic and may put a record back
    kafka = ServiceSettings(service="dlq", principal=OPERATOR).kafka
    letters = asyncio.run(read_letters(kafka, args.namespace, args.service or list(SERVICES)))
    if args.command == "list":
        _print(letters)
        return
    chosen = letters if args.all else [i for i in letters if i.envelope.message_id in args.id]
    if not chosen:
        raise SystemExit("nothing to replay: name dead letters with --id ID, or pass --all")
    print(f"replaying {len(chosen)} dead letter(s)")
    asyncio.run(replay(kafka, chosen))


if __name__ == "__main__":
    main()
