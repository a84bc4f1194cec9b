"""The other services, played by a script: answers commands on their topics the way the
real services would, so a service can be tested alone through its contracts.

    world = World(platform, answers={PlaceHold: lambda cmd: HoldPlaced(...)})
    async with world:            # consumes the command topics until the block ends
        ...
    world.received               # every command seen, in order
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas import MESSAGE_TYPES, Codec, DecodeError, Envelope, Message, derive_id, envelope
from tests.support.environment import Environment

Answer = Callable[[Any], Message | None]
"""From a command payload to the reply (None: stay silent, as a service that is down)."""

COMMAND_TOPICS = ("kyc.commands", "issuance.commands", "fx.commands", "settlement.commands")


class World:
    def __init__(self, platform: Environment, answers: dict[type[Message], Answer]) -> None:
        self.platform = platform
        self.answers = answers
        self.received: list[Envelope[Any]] = []
        self._codec = Codec(
            [
                cls
                for name, cls in MESSAGE_TYPES.items()
                if name.split(".")[0] in ("kyc", "issuance", "fx", "settlement")
            ]
        )
        self._task: asyncio.Task[None] | None = None

    def commands(self, message_type: type[Message]) -> list[Any]:
        return [env.payload for env in self.received if isinstance(env.payload, message_type)]

    async def __aenter__(self) -> World:
        servers = self.platform.servers
        self._consumer = AIOKafkaConsumer(
            *(self.platform.topic(t) for t in COMMAND_TOPICS),
            **servers.reader.client_options(),
            auto_offset_reset="earliest",
            group_id=None,
        )
        # the services it plays answer on the saga's reply topic, which each of them writes
        self._producer = AIOKafkaProducer(
            **servers.writer_of("redemption.replies").client_options()
        )
        await self._consumer.start()
        await self._producer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._consumer.stop()
        await self._producer.stop()

    async def _run(self) -> None:
        async for record in self._consumer:
            try:
                command = self._codec.decode(record.value)
            except DecodeError:
                continue
            self.received.append(command)
            answer = self.answers.get(type(command.payload))
            reply = answer(command.payload) if answer else None
            if reply is None or command.reply_to is None:
                continue
            env = envelope(
                reply,
                producer="world",
                correlation_id=command.correlation_id,
                causation_id=command.message_id,
                message_id=derive_id(command.message_id, "reply"),
            )
            await self._producer.send_and_wait(
                command.reply_to, env.to_bytes(), key=str(command.correlation_id).encode()
            )
