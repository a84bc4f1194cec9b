"""What a service writes: handlers, small verb functions of (context, message) -> reply.

A handler changes state through `ctx.connection` (inside the batch's transaction), emits
facts and commands with `ctx.publish` (to the outbox, same transaction), and returns the
reply to a command (its success or its typed rejection), or None for an event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from schemas import MESSAGE_TYPES, Envelope, Message, derive_id
from schemas.topics import BY_NAME
from services.runtime.db import Connection
from services.runtime.outbox import OutboxWriter
from services.runtime.publisher import Publisher
from services.runtime.unit_of_work import UnitOfWork, W

M = TypeVar("M", bound=Message)


class HandlerContext(Generic[M]):
    def __init__(
        self,
        connection: Connection,
        outbox: OutboxWriter,
        message: Envelope[M],
        producer: str,
        topic_name: Callable[[str], str] = str,
        *,
        uow: UnitOfWork | None = None,
        appended_at: dt.datetime | None = None,
    ) -> None:
        self.connection = connection
        self.message = message
        self.appended_at = appended_at
        """When the broker appended the message, on a topic stamped on arrival
        (schemas/topics.py); None elsewhere."""
        self._uow = uow
        self._publisher = Publisher(outbox, producer=producer, topic_name=topic_name)
        self._emitted = 0

    @classmethod
    def within(
        cls,
        uow: UnitOfWork,
        message: Envelope[M],
        producer: str,
        topic_name: Callable[[str], str] = str,
        appended_at: dt.datetime | None = None,
    ) -> HandlerContext[M]:
        return cls(
            uow.connection,
            uow.outbox,
            message,
            producer,
            topic_name,
            uow=uow,
            appended_at=appended_at,
        )

    def staged(self, kind: type[W]) -> W:
        """The transaction's writer of `kind`, flushed just before the batch commits."""
        if self._uow is None:
            raise RuntimeError("staged writes need the context of a unit of work")
        return self._uow.staged(kind)

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> Envelope[Any]:
        """Emit a message caused by the one being handled, atomically with the handler's
        state change. `topic` and `reply_to` are logical names (schemas/topics.py). Without
        an explicit id, the id derives from the cause, so a retried transaction emits the
        very same message."""
        self._emitted += 1
        return self._publisher.publish(
            topic,
            key,
            payload,
            correlation_id=correlation_id or self.message.correlation_id,
            causation_id=self.message.message_id,
            reply_to=reply_to,
            message_id=message_id or derive_id(self.message.message_id, "emit", str(self._emitted)),
        )

    def republish(self, topic: str, key: str | bytes | None, value: bytes) -> None:
        """Publish a stored message again, byte for byte (its id unchanged): the same
        outcome for a repeated request. `topic` is a logical name."""
        self._publisher.republish(topic, key, value)


Handler = Callable[[HandlerContext[Any], Any], Awaitable[Message | None]]
Prepare = Callable[[UnitOfWork, Sequence[Envelope[Any]]], Awaitable[None]]
"""Runs once per batch, before its handlers, with the messages they are about to handle:
lock and read what they will need in one query (rows in key order, so two batches never
wait on each other in a cycle) instead of one query per message."""


@dataclass
class Subscription:
    """One topic a service consumes, and the handler for each message type it accepts."""

    topic: str
    name: str = ""
    """The inbox's consumer name; defaults to the topic."""
    handlers: dict[type[Message], Handler] = field(default_factory=dict)
    sensitive: bool = False
    """The topic carries personal data: its dead letters keep a digest, not the record.
    Set from the topic registry's `personal` flag; True here makes any topic so."""
    prepare: Prepare | None = None
    from_outside: bool = False
    """An ingress topic: outside producers write it, so a record that does not decode may
    carry anything, personal data included; its dead letter keeps a digest, not the record.
    Set from the topic registry's role."""

    def __post_init__(self) -> None:
        self.name = self.name or self.topic
        registered = BY_NAME.get(self.topic)
        self.sensitive = self.sensitive or (registered is not None and registered.personal)
        self.from_outside = self.from_outside or (
            registered is not None and registered.role == "ingress"
        )

    def handles(self, message_type: type[M]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if message_type in self.handlers:
                raise ValueError(f"{message_type.TYPE} already has a handler on {self.topic}")
            self.handlers[message_type] = handler
            return handler

        return register

    def ignore_the_rest(self) -> None:
        """Accept and ignore every other message type of the service that writes this topic
        (its events, as the registry says): the codec dead-letters a type a subscription
        does not accept, and a neighbour publishes facts this service has no use for, new
        ones included. Call it after the handlers are registered, in a module that imports
        the writer's contracts (schemas registers a type when its module is imported)."""
        owner = BY_NAME[self.topic].owner
        for name, message_type in sorted(MESSAGE_TYPES.items()):
            if name.startswith(f"{owner}.") and message_type not in self.handlers:
                self.handlers[message_type] = _ignore

    def handler_for(self, message: Message) -> Handler:
        return self.handlers[type(message)]

    @property
    def accepts(self) -> Mapping[type[Message], Handler]:
        return self.handlers


async def _ignore(ctx: HandlerContext[Any], message: Message) -> None:
    """Not this service's business: consumed, so that nothing is dead-lettered."""
