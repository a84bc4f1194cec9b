"""When a command the saga awaits counts as arrived at its receiver: its receiver's
committed position, read after a sample of the topic's end taken after the command was
published, has reached that end. Anything it cannot tell counts as not arrived."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from aiokafka import TopicPartition

from services.redemption.adapters.receivers import Receivers
from services.redemption.settings import RedemptionSettings
from services.runtime.clock import utc_now
from services.runtime.lag import GroupPositions, Offsets

KEY = "2f0e5b7a-0000-4000-8000-000000000001"
PARTITIONS = list(range(8))


class Broker:
    """The broker as the sampler sees it: each command topic's ends, each group's positions."""

    def __init__(self) -> None:
        self.end = 0
        self.position = 0

    async def ends(self, topics: Iterable[str]) -> Offsets:
        return {TopicPartition(t, p): self.end for t in topics for p in PARTITIONS}

    async def committed(self, group: str) -> Offsets:
        topic = group.removeprefix("issuance.")
        return {TopicPartition(topic, p): self.position for p in PARTITIONS}


def receivers() -> Receivers:
    return Receivers(RedemptionSettings(service="redemption", kafka_security="PLAINTEXT"))


async def test_a_command_counts_as_arrived_once_its_receiver_has_read_past_it() -> None:
    watching, broker = receivers(), Broker()
    published = utc_now() - dt.timedelta(seconds=2)
    broker.end, broker.position = 10, 7  # issuance is three commands behind
    await watching.sample(cast(GroupPositions, broker))
    assert not watching.delivered("issuance.commands", KEY, published)
    broker.end, broker.position = 12, 10  # it read to the end of that first sample
    await watching.sample(cast(GroupPositions, broker))
    assert watching.delivered("issuance.commands", KEY, published)


async def test_a_command_published_after_the_last_sample_cannot_be_told_yet() -> None:
    watching, broker = receivers(), Broker()
    broker.end = broker.position = 5
    await watching.sample(cast(GroupPositions, broker))
    assert not watching.delivered("issuance.commands", KEY, utc_now())


async def test_nothing_counts_as_arrived_before_any_sample_or_when_they_went_stale() -> None:
    watching, broker = receivers(), Broker()
    assert not watching.delivered("issuance.commands", KEY, None)
    broker.end = broker.position = 5
    await watching.sample(cast(GroupPositions, broker))
    assert watching.delivered("issuance.commands", KEY, None), "pruned: long published"
    stale = utc_now() - dt.timedelta(minutes=5)
    cast(Any, watching)._committed_read = stale  # the broker stopped answering since
    assert not watching.delivered("issuance.commands", KEY, None)
