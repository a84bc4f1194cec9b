"""What the broker itself says: the records on topics from their first retained offset to
their end, and how far each consumer group of the namespace has committed. Plain aiokafka,
one consumer and one admin client per audit (each login costs a SCRAM handshake), as a
login that may read every topic and describe every group (the operator)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class Record:
    type: str
    """The `type` header, else the envelope's own `type` (outside producers send no headers)."""
    payload: dict[str, Any]


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    reason: str
    detail: str
    source_topic: str


class Broker:
    def __init__(self, options: Mapping[str, Any]) -> None:
        # short fetch waits: a read ends at known end offsets, nothing is worth waiting for
        self._consumer = AIOKafkaConsumer(
            **options, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
        )
        self._admin = AIOKafkaAdminClient(**options)

    async def __aenter__(self) -> Broker:
        await self._consumer.start()
        await self._admin.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topics: set[str]) -> list[TopicPartition]:
        # the whole cluster's metadata: a consumer's own tracks only the topics it was given
        cluster = await self._consumer._client.fetch_all_metadata()
        return [
            TopicPartition(t, p)
            for t in sorted(topics)
            for p in cluster.partitions_for_topic(t) or ()
        ]

    async def read(self, *topics: str) -> dict[str, list[Record]]:
        """Every retained record of each topic, its payload as plain JSON (empty for a record
        that is not an envelope)."""
        found: dict[str, list[Record]] = {t: [] for t in topics}
        partitions = await self.partitions(set(topics))
        if not partitions:
            return found
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        ends = await self._consumer.end_offsets(partitions)
        while any([await self._consumer.position(tp) < end for tp, end in ends.items()]):
            for tp, batch in (await self._consumer.getmany(timeout_ms=200)).items():
                found[tp.topic] += [_record(r.headers, r.value) for r in batch]
        return found

    async def dead_letters(self, topics: list[str]) -> list[DeadLetter]:
        return [
            DeadLetter(
                topic,
                str(r.payload.get("reason", r.type or "unreadable")),
                str(r.payload.get("detail", "")),
                str(r.payload.get("source_topic", "")),
            )
            for topic, records in (await self.read(*topics)).items()
            for r in records
        ]

    async def lag(self, prefix: str, settle_s: float = 0.0) -> dict[str, int]:
        """Records each group named `prefix...` had not committed past `settle_s` after the
        end offsets were read (a live platform's feeds and statements keep a few records in
        flight: a group is behind only when it has not reached where the log was). Over every
        partition of every topic the group committed on: a partition it never committed
        counts from its first retained offset, as records nobody consumed are lag too."""
        groups = [g[0] for g in await self._admin.list_consumer_groups() if g[0].startswith(prefix)]
        committed = await self._committed(groups)
        partitions = await self.partitions({tp.topic for c in committed.values() for tp in c})
        if not partitions:
            return {}
        ends = await self._consumer.end_offsets(partitions)
        starts = await self._consumer.beginning_offsets(partitions)
        if settle_s:
            await asyncio.sleep(settle_s)
            committed = await self._committed(groups)
        lag = {}
        for group, done in committed.items():
            topics = {tp.topic for tp in done}
            lag[group] = sum(
                max(0, end - done.get(tp, starts[tp]))
                for tp, end in ends.items()
                if tp.topic in topics
            )
        return lag

    async def _committed(self, groups: list[str]) -> dict[str, dict[TopicPartition, int]]:
        fetched = await asyncio.gather(
            *(self._admin.list_consumer_group_offsets(g) for g in sorted(groups))
        )
        return {
            group: {tp: m.offset for tp, m in offsets.items() if m.offset >= 0}
            for group, offsets in zip(sorted(groups), fetched, strict=True)
        }


def _record(headers: Any, value: bytes | None) -> Record:
    try:
        body = json.loads(value or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    kind = next((v.decode() for k, v in headers if k == "type"), str(body.get("type", "")))
    payload = body.get("payload")
    return Record(kind, payload if isinstance(payload, dict) else {})


async def consumer_lag(
    options: Mapping[str, Any], prefix: str, settle_s: float = 0.0
) -> dict[str, int]:
    async with Broker(options) as broker:
        return await broker.lag(prefix, settle_s)
