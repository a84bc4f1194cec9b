"""The background-loop helper (services/runtime/periodic.py): a round every interval, a
failed round tried again with backoff and logged once, a full round followed at once, and
the loop stops when its task is cancelled."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.runtime.logging import configure_logging
from services.runtime.periodic import every
from services.runtime.settings import ServiceSettings

SETTINGS = ServiceSettings(service="test", retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002)
LONG_S = 60.0
"""An interval no test waits for: a round that runs again came from a retry or more work."""


async def _until(condition: asyncio.Event, task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(condition.wait(), 5)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_failed_round_is_tried_again_with_backoff_and_logged_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test", "INFO", "json")
    rounds = 0
    passed = asyncio.Event()

    async def round_() -> None:
        nonlocal rounds
        rounds += 1
        if rounds <= 5:
            raise ConnectionRefusedError("database down")
        passed.set()

    await _until(passed, asyncio.create_task(every(LONG_S, round_, SETTINGS, "sweep")))

    assert rounds == 6
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == [
        "sweep round failed; retrying",
        "sweep round passed after 5 failed attempts",
    ]
    assert lines[0]["task"] == "sweep"


async def test_a_round_that_found_more_work_is_followed_at_once() -> None:
    rounds = 0
    drained = asyncio.Event()

    async def round_() -> bool:
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            drained.set()
        return rounds < 3

    task = asyncio.create_task(every(LONG_S, round_, SETTINGS, "sweep"))
    await _until(drained, task)
    assert rounds == 3


async def test_cancelling_the_task_stops_a_round_in_flight() -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def round_() -> None:
        started.set()
        try:
            await asyncio.sleep(LONG_S)
        finally:
            stopped.set()

    task = asyncio.create_task(every(LONG_S, round_, SETTINGS, "sweep"))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()
