"""Has the command a saga awaits reached the service it commands?

The watchdog asks before it re-sends. After a broker restart every saga's deadline passes
at once while the receivers catch up; re-sending then only queues each command again
behind itself, more records for the very services that are behind (8,352 re-sends in one
ten-minute soak before this). A command is delivered once its receiver's committed
position is past it:

- still in the outbox (unpublished): not delivered;
- published: every `interval` the end of each command topic's partitions is sampled, then
  the receivers' committed positions are read. A command published before a sample was
  taken is at most that sample's end; it is delivered once a committed position read
  after the sample has reached that end.

When it cannot be told (no sample since the command was published, the broker not
answering), the command counts as not delivered: the saga's patience (decide.Timing)
bounds how long that holds a step back.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from schemas.topics import BY_NAME
from services.redemption.domain.definition import SAGA
from services.redemption.settings import RedemptionSettings
from services.runtime.clock import utc_now
from services.runtime.lag import GroupPositions, Offsets
from services.runtime.periodic import every

COMMAND_TOPICS = tuple(dict.fromkeys(step.topic for step in SAGA))
_SAMPLES = 120
"""Samples kept: a command published before the oldest is judged by the oldest."""
_CLOCK_MARGIN = dt.timedelta(milliseconds=500)
"""The outbox's publication times are the database's clock, samples this process's."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Sample:
    started: dt.datetime
    """Before the ends were asked for: every record published earlier is below them."""
    ended: dt.datetime
    """After they were answered: a position read later is at least as recent."""
    ends: Offsets


class Receivers:
    def __init__(self, settings: RedemptionSettings) -> None:
        self._settings = settings
        self._topics = {name: settings.topic(name) for name in COMMAND_TOPICS}
        self._groups = {
            name: settings.group_of(BY_NAME[name].owner, name) for name in COMMAND_TOPICS
        }
        self._samples: collections.deque[_Sample] = collections.deque(maxlen=_SAMPLES)
        self._committed: Offsets = {}
        self._committed_read: dt.datetime | None = None
        self._partitions: dict[str, list[int]] = {}
        self._partitioner = DefaultPartitioner()

    def delivered(self, topic: str, key: str, published_at: dt.datetime | None) -> bool:
        """Whether the command on logical `topic` with `key`, published at `published_at`
        (None: long ago, its outbox row pruned), has reached its receiver."""
        sample = self._first_after(published_at)
        if sample is None or self._committed_read is None or self._committed_read < sample.ended:
            return False
        if utc_now() - self._committed_read > self._stale_after:
            return False  # the broker stopped answering: what was read may be long past
        partition = self._partition(self._topics[topic], key)
        if partition is None:
            return False
        return self._committed.get(partition, 0) >= sample.ends.get(partition, 0)

    @property
    def _stale_after(self) -> dt.timedelta:
        return dt.timedelta(seconds=5 * self._settings.redemption_receivers_interval_s)

    def _first_after(self, published_at: dt.datetime | None) -> _Sample | None:
        if published_at is None:
            return self._samples[0] if self._samples else None
        return next((s for s in self._samples if s.started > published_at + _CLOCK_MARGIN), None)

    def _partition(self, topic: str, key: str) -> TopicPartition | None:
        partitions = self._partitions.get(topic)
        if not partitions:
            return None
        # the relay's producer places a keyed record with this very partitioner
        return TopicPartition(topic, self._partitioner(key.encode(), partitions, partitions))

    async def sample(self, broker: GroupPositions) -> None:
        started = utc_now()
        ends = await broker.ends(self._topics.values())
        self._samples.append(_Sample(started, utc_now(), ends))
        partitions: dict[str, list[int]] = collections.defaultdict(list)
        for tp in ends:
            partitions[tp.topic].append(tp.partition)
        self._partitions = {topic: sorted(found) for topic, found in partitions.items()}
        read = utc_now()
        committed: Offsets = {}
        for name, group in self._groups.items():
            committed |= {
                tp: offset
                for tp, offset in (await broker.committed(group)).items()
                if tp.topic == self._topics[name]
            }
        self._committed, self._committed_read = committed, read

    async def watch(self, service: object) -> None:
        """Sample for the service's lifetime (one of its background tasks), over one
        connection to the broker, made anew after a failure."""
        settings = self._settings
        connection = contextlib.AsyncExitStack()
        broker: GroupPositions | None = None

        async def round_() -> None:
            nonlocal broker
            try:
                if broker is None:
                    positions = GroupPositions(settings.kafka, settings.client_id)
                    broker = await connection.enter_async_context(positions)
                await self.sample(broker)
            except BaseException:
                broker = None
                await connection.aclose()
                raise

        try:
            # while the positions cannot be read, steps wait for them (their patience)
            await every(
                settings.redemption_receivers_interval_s, round_, settings, "receivers' positions"
            )
        finally:
            await connection.aclose()
