"""A broker outage is one line when it starts, a reminder while it lasts, one when it ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from services.runtime.outages import OutageSummary


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(text: str, name: str = "aiokafka", level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, text, None, None)


REFUSED = "Unable connect to node with id 1: [Errno 111] Connection refused"
NOT_READY = "Failed fetch messages from 1: NodeNotReadyError: Attempt to send a request"


@pytest.fixture
def said() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("services.runtime.outages")
    logger.addHandler(handler := Collect())
    yield lines
    logger.removeHandler(handler)


def test_the_first_error_of_an_outage_passes_and_the_rest_are_counted(said: list[str]) -> None:
    clock = Clock()
    summary = OutageSummary(quiet_s=5, remind_s=60, clock=clock)

    assert summary.filter(record(REFUSED))
    for _ in range(99):
        clock.now += 0.1
        assert not summary.filter(record(NOT_READY, "aiokafka.consumer.fetcher"))
    assert said == []

    clock.now += 4.0
    assert not summary.check()  # errors stopped less than 5 s ago
    clock.now += 1.0
    assert summary.check()
    assert said == ["broker client errors ended after 9.9 s (99 more held back)"]


def test_a_long_outage_is_reminded_once_a_minute(said: list[str]) -> None:
    clock = Clock()
    summary = OutageSummary(quiet_s=5, remind_s=60, clock=clock)
    summary.filter(record(REFUSED))
    for _ in range(130):
        clock.now += 1.0
        summary.filter(record(REFUSED))
    assert said == [
        "broker still unreachable after 60 s (60 client errors in the last 60 s)",
        "broker still unreachable after 120 s (60 client errors in the last 60 s)",
    ]


def test_other_lines_pass_untouched() -> None:
    summary = OutageSummary(clock=Clock())
    summary.filter(record(REFUSED))
    assert summary.filter(record("Unclosed AIOKafkaProducer"))
    assert summary.filter(record(REFUSED, name="services.relay"))
    assert summary.filter(record(REFUSED, level=logging.INFO))


def test_errors_after_a_quiet_spell_start_a_new_outage(said: list[str]) -> None:
    clock = Clock()
    summary = OutageSummary(quiet_s=5, clock=clock)
    summary.filter(record(REFUSED))
    clock.now += 1
    summary.filter(record(REFUSED))
    clock.now += 30
    assert summary.filter(record(REFUSED))  # a new outage's first line
    assert said == ["broker client errors ended after 1.0 s (1 more held back)"]


async def test_on_an_event_loop_the_outage_closes_by_itself(said: list[str]) -> None:
    summary = OutageSummary(quiet_s=0.05)
    summary.filter(record(REFUSED))
    summary.filter(record(REFUSED))
    await asyncio.sleep(0.2)
    assert len(said) == 1
    assert said[0].startswith("broker client errors ended after")
