"""Waiting in tests for what another process does: one helper for every test.

A test asks for a state it expects (rows in a service's database, a file, a counter) and
waits for it with a bound; when the bound passes, the failure says what was last seen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout_s: float = 60.0,
    interval_s: float = 0.1,
    what: str = "the condition",
    context: Callable[[], str] = str,
) -> T:
    """`probe()` until `done` holds for what it returns, at most `timeout_s`; an
    AssertionError with the last value seen (and `context()`, e.g. the services' logs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        seen = await probe()
        if done(seen):
            return seen
        if loop.time() > deadline:
            raise AssertionError(
                f"{what}: not reached after {timeout_s} s; last seen {seen!r}\n{context()}"
            )
        await asyncio.sleep(interval_s)
