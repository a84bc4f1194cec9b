"""Consumed positions go to Kafka in the background: one commit in flight, later positions
coalesced into the next, a partition lost to a rebalance left to its new owner, and a failed
commit tried again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError

from services.runtime.kafka import Positions
from services.runtime.retry import Backoff


@dataclass
class FakeConsumer:
    assigned: set[TopicPartition]
    failures: int = 0
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    answer: asyncio.Event = field(default_factory=asyncio.Event)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.answer.wait()
        if self.failures:
            self.failures -= 1
            raise KafkaConnectionError("broker away")
        self.commits.append(dict(offsets))


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int


P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


def positions() -> Positions:
    return Positions("t", Backoff(0.001, 0.002))


async def test_positions_handed_over_during_a_commit_go_in_the_next_one() -> None:
    consumer, committed = FakeConsumer({P0, P1}), positions()
    committed.advance(consumer, [Rec("t", 0, 4)])
    await asyncio.sleep(0)  # the first commit is in flight, waiting for the broker
    committed.advance(consumer, [Rec("t", 0, 7), Rec("t", 1, 2)])
    committed.advance(consumer, [Rec("t", 0, 9)])
    consumer.answer.set()
    await committed.flush()
    assert consumer.commits == [{P0: 5}, {P0: 10, P1: 3}]


async def test_a_partition_lost_to_a_rebalance_is_not_committed() -> None:
    consumer, committed = FakeConsumer({P1}), positions()
    consumer.answer.set()
    committed.advance(consumer, [Rec("t", 0, 4), Rec("t", 1, 8)])
    await committed.flush()
    assert consumer.commits == [{P1: 9}]


async def test_a_failed_commit_is_tried_again_with_what_came_meanwhile() -> None:
    consumer, committed = FakeConsumer({P0}, failures=2), positions()
    consumer.answer.set()
    committed.advance(consumer, [Rec("t", 0, 4)])
    await asyncio.sleep(0)
    committed.advance(consumer, [Rec("t", 0, 6)])
    await committed.flush()
    assert consumer.commits == [{P0: 7}]
