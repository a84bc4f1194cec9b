"""The other services, played by a script, so a service can be tested alone through its
contracts. Two halves, one for each direction of a contract:

- `Neighbours` sends what the neighbours send (the saga's commands with their reply
  address, KYC's, issuance's and settlement's facts on their events topics) and reads back
  what the service under test answers (replies by the command they answer, events);
- `World` answers the commands the service under test sends, as the neighbours would.

    world = World(platform, answers={PlaceHold: lambda cmd: HoldPlaced(...)})
    async with world:            # consumes the command topics until the block ends
        ...
    world.received               # every command seen, in order

Each topic is read as its service reads it: as that service's principal, in its consumer
group, committing what it read (the saga watches those positions to tell a command that
arrived from one that did not). The topics of a service in `without` (down, or run for real
by the test) are only watched: seen in `received`, never answered, nothing committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from schemas import MESSAGE_TYPES, Codec, DecodeError, Envelope, Message, derive_id, envelope
from tests.support.environment import Environment

EVENTS_OF = {"kyc": "kyc.events", "issuance": "issuance.events", "settlement": "settlement.events"}

Answer = Callable[[Any], Message | None]
"""From a command payload to the reply (None: read it and stay silent)."""

COMMAND_TOPICS = ("kyc.commands", "issuance.commands", "fx.commands", "settlement.commands")


class World:
    def __init__(
        self,
        platform: Environment,
        answers: dict[type[Message], Answer],
        without: tuple[str, ...] = (),
    ) -> None:
        self.platform = platform
        self.answers = answers
        self.without = without
        self.received: list[Envelope[Any]] = []
        self._codec = Codec(
            [
                cls
                for name, cls in MESSAGE_TYPES.items()
                if name.split(".")[0] in ("kyc", "issuance", "fx", "settlement")
            ]
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._consumers: list[AIOKafkaConsumer] = []

    def commands(self, message_type: type[Message]) -> list[Any]:
        return [env.payload for env in self.received if isinstance(env.payload, message_type)]

    async def __aenter__(self) -> World:
        servers = self.platform.servers
        for topic in COMMAND_TOPICS:
            owner = topic.split(".")[0]
            played = owner not in self.without
            self._consumers.append(
                AIOKafkaConsumer(
                    self.platform.topic(topic),
                    **(servers.kafka_as(owner) if played else servers.reader).client_options(),
                    auto_offset_reset="earliest",
                    group_id=f"{self.platform.namespace}.{owner}.{topic}" if played else None,
                    auto_commit_interval_ms=100,
                )
            )
        # the services it plays answer on the saga's reply topic, which each of them writes
        self._producer = AIOKafkaProducer(
            **servers.writer_of("redemption.replies").client_options()
        )
        for consumer in self._consumers:
            await consumer.start()
        await self._producer.start()
        self._tasks = [
            asyncio.create_task(
                self._run(consumer, answering=topic.split(".")[0] not in self.without)
            )
            for topic, consumer in zip(COMMAND_TOPICS, self._consumers, strict=True)
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for consumer in self._consumers:
            await consumer.stop()
        await self._producer.stop()

    async def _run(self, consumer: AIOKafkaConsumer, *, answering: bool) -> None:
        async for record in consumer:
            try:
                command = self._codec.decode(record.value)
            except DecodeError:
                continue
            self.received.append(command)
            answer = self.answers.get(type(command.payload)) if answering else None
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


@dataclass
class Neighbours:
    """What the services around the one under test send it, and what it sends back."""

    platform: Environment

    async def tell(
        self, service: str, key: uuid.UUID | str, *facts: Message, correlation_id: uuid.UUID
    ) -> None:
        """`service`'s facts, on its events topic and in order, as that service writes them."""
        await self.platform.send(
            EVENTS_OF[service],
            str(key),
            *(envelope(f, producer=service, correlation_id=correlation_id) for f in facts),
        )

    def command(
        self,
        payload: Message,
        correlation_id: uuid.UUID,
        *,
        sender: str = "redemption",
        reply_to: str = "redemption.replies",
        occurred_at: dt.datetime | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Envelope[Any]:
        """A command as `sender` writes it (the saga unless told), answered on `reply_to`."""
        return envelope(
            payload,
            producer=sender,
            correlation_id=correlation_id,
            reply_to=self.platform.topic(reply_to),
            occurred_at=occurred_at,
            message_id=message_id,
        )

    async def read(
        self, topic: str, codec: Codec, done: Callable[[list[Envelope[Any]]], bool]
    ) -> list[Envelope[Any]]:
        """Every message on `topic` (decoded by `codec`) once `done` holds for them."""
        decoded: list[Envelope[Any]] = []

        def check(records: list[ConsumerRecord]) -> bool:
            # the records only grow between calls: decode each once
            decoded.extend(codec.decode(r.value) for r in records[len(decoded) :])
            return done(decoded)

        await self.platform.read(topic, check)
        return decoded

    async def replies_to(
        self, commands: Iterable[Envelope[Any]], codec: Codec
    ) -> dict[uuid.UUID, list[Envelope[Any]]]:
        """Every reply to each command (redeliveries included), by the command's id; waits
        until each command has at least one."""
        wanted: dict[str, set[uuid.UUID]] = {}
        for command in commands:
            assert command.reply_to is not None, "a command without a reply address"
            wanted.setdefault(command.reply_to, set()).add(command.message_id)
        found: dict[uuid.UUID, list[Envelope[Any]]] = {}
        prefix = self.platform.topic("")
        for topic, ids in wanted.items():

            def answered(replies: list[Envelope[Any]], ids: set[uuid.UUID] = ids) -> bool:
                return ids <= {r.causation_id for r in replies}

            for reply in await self.read(topic.removeprefix(prefix), codec, answered):
                if reply.causation_id in ids:
                    found.setdefault(reply.causation_id, []).append(reply)
        return found
