"""Where consumer groups stand in their topics, per partition, read from the broker: the
log's end and the group's committed position (its lag is the difference).

    async with GroupPositions(settings.kafka, client_id) as broker:
        ends = await broker.ends(["kyc.commands"])
        committed = await broker.committed("kyc.kyc.commands")

Reading another service's group needs DESCRIBE on it (infra/kafka/acls.py grants what the
registry says); the topic's end needs DESCRIBE on the topic (implied by READ or WRITE).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from types import TracebackType

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.access import KafkaAccess

Offsets = dict[TopicPartition, int]


class GroupPositions:
    """An admin client (committed positions) and a consumer without a group (log ends)."""

    def __init__(self, access: KafkaAccess, client_id: str) -> None:
        options = access.client_options()
        self._admin = AIOKafkaAdminClient(**options, client_id=f"{client_id}-positions")
        self._consumer = AIOKafkaConsumer(
            **options, client_id=f"{client_id}-positions", group_id=None
        )
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def __aenter__(self) -> GroupPositions:
        await self._admin.start()
        try:
            await self._consumer.start()
        except BaseException:
            await self._admin.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            await self._consumer.stop()
        with contextlib.suppress(Exception):
            await self._admin.close()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        """The topic's partitions in id order (metadata fetched once per topic)."""
        if topic not in self._partitions:
            found = self._consumer.partitions_for_topic(topic)
            if not found:
                await self._consumer._client.force_metadata_update()
                found = self._consumer.partitions_for_topic(topic) or set()
            if found:
                self._partitions[topic] = [TopicPartition(topic, p) for p in sorted(found)]
        return self._partitions.get(topic, [])

    async def ends(self, topics: Iterable[str]) -> Offsets:
        """Each partition's end: the offset the next record appended to it will get."""
        return await self.ends_of([tp for topic in topics for tp in await self.partitions(topic)])

    async def ends_of(self, partitions: list[TopicPartition]) -> Offsets:
        if not partitions:
            return {}
        ends: Offsets = await self._consumer.end_offsets(partitions)
        return ends

    async def groups(self) -> list[str]:
        """The consumer groups this login may describe."""
        return [str(found[0]) for found in await self._admin.list_consumer_groups()]

    async def committed(self, group: str) -> Offsets:
        """The group's committed positions (a partition it never committed is absent)."""
        found = await self._admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in found.items() if meta.offset >= 0}
