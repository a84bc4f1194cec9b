"""Follows the services' event topics and answers "has X happened yet?"."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiokafka import AIOKafkaConsumer

from schemas import MESSAGE_TYPES, Codec, DecodeError, Envelope, Message
from services.runtime.access import KafkaAccess

EVENT_TOPICS = (
    "kyc.events",
    "issuance.events",
    "settlement.events",
    "fx.events",
    "redemption.events",
)
M = TypeVar("M", bound=Message)


async def start_at_latest(consumer: AIOKafkaConsumer) -> None:
    """Start `consumer` (auto_offset_reset="latest") and fix its positions now: anything
    sent after this returns is seen, nothing sent before it is."""
    await consumer.start()
    while True:
        if consumer.assignment():
            break
        await asyncio.sleep(0.05)  # aiokafka offers no event for "assigned"
    for partition in consumer.assignment():
        await consumer.position(partition)


async def stop_following(task: asyncio.Task[None] | None, consumer: AIOKafkaConsumer) -> None:
    if task:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await consumer.stop()


class Follower:
    """Follows topics from "now" in a background task for the length of an `async with`;
    subclasses say what to do with the records (`_follow`)."""

    _consumer: AIOKafkaConsumer
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await start_at_latest(self._consumer)
        self._task = asyncio.create_task(self._follow())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await stop_following(self._task, self._consumer)

    async def _follow(self) -> None:
        raise NotImplementedError


class Watcher(Follower):
    def __init__(
        self, kafka: KafkaAccess, namespace: str = "", topics: tuple[str, ...] = EVENT_TOPICS
    ) -> None:
        """`kafka`: a login that may read the topics (the operator reads every topic)."""
        self._topics = [f"{namespace}.{t}" if namespace else t for t in topics]
        self._consumer = AIOKafkaConsumer(
            *self._topics, **kafka.client_options(), group_id=None, auto_offset_reset="latest"
        )
        self._codec = Codec(MESSAGE_TYPES.values())
        self.seen: list[Envelope[Any]] = []
        self._changed = asyncio.Event()

    async def _follow(self) -> None:
        async for record in self._consumer:
            with contextlib.suppress(DecodeError):
                self.seen.append(self._codec.decode(record.value))
                self._changed.set()

    def events(
        self,
        message_type: type[M],
        where: Callable[[M], bool] = lambda _: True,
    ) -> list[M]:
        return [
            e.payload for e in self.seen if isinstance(e.payload, message_type) and where(e.payload)
        ]

    async def wait_for(
        self,
        message_type: type[M],
        where: Callable[[M], bool] = lambda _: True,
        *,
        count: int = 1,
        timeout_s: float = 60.0,
    ) -> list[M]:
        deadline = time.monotonic() + timeout_s
        while len(found := self.events(message_type, where)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"{count} x {message_type.TYPE} not seen in {timeout_s} s (seen {len(found)})"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))
        return found

    async def wait_any(
        self,
        types: tuple[type[Message], ...],
        where: Callable[[Any], bool],
        *,
        timeout_s: float = 60.0,
    ) -> Message:
        """The first event of any of `types` matching `where` (e.g. a redemption's outcome)."""
        deadline = time.monotonic() + timeout_s
        while True:
            for env in self.seen:
                if isinstance(env.payload, types) and where(env.payload):
                    return env.payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"none of {[t.TYPE for t in types]} seen in {timeout_s} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))
