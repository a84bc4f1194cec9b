"""Publishing through the outbox: the one way a service emits a message. A handler's
context publishes through it (handlers.py: ids derived from the message handled); work that
is not handling a message (a background task, an operator command) uses it directly:

    async with UnitOfWork(pool) as uow:
        publisher = Publisher(uow.outbox, settings)
        publisher.publish("kyc.events", key, CustomerFrozen(...), correlation_id=customer_id)
        await uow.commit()

Code that emits from both places takes an `Outlet`: a handler's context or a Publisher.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

from schemas import Envelope, Message, envelope
from schemas.topics import is_reply_topic
from services.runtime.outbox import OutboxWriter
from services.runtime.settings import ServiceSettings


class Outlet(Protocol):
    """Where a piece of work emits its messages: a handler's context (HandlerContext) or,
    outside a handler, a Publisher; either way the outbox of the work's transaction."""

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        correlation_id: uuid.UUID,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Envelope[Any]: ...

    def republish(self, topic: str, key: str | bytes | None, value: bytes) -> None: ...


class Publisher:
    def __init__(
        self,
        outbox: OutboxWriter,
        settings: ServiceSettings | None = None,
        *,
        producer: str = "",
        topic_name: Callable[[str], str] = str,
    ) -> None:
        """From a service's settings, or (inside the runtime) its producer name and topic
        resolver."""
        self._outbox = outbox
        self._producer = settings.service if settings else producer
        self._topic_name = settings.topic if settings else topic_name

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        correlation_id: uuid.UUID,
        causation_id: uuid.UUID | None = None,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Envelope[Any]:
        """`topic` and `reply_to` are logical names (schemas/topics.py); `reply_to` must be
        a reply topic, the only address a receiver writes its reply to. Pass a derived
        `message_id` whenever the same work may run twice, so its copies are one message."""
        if reply_to is not None and not is_reply_topic(reply_to):
            raise ValueError(f"reply_to {reply_to!r} is not a reply topic (schemas/topics.py)")
        env = envelope(
            payload,
            producer=self._producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            reply_to=self._topic_name(reply_to) if reply_to else None,
            message_id=message_id,
        )
        self._outbox.add(self._topic_name(topic), key, env)
        return env

    def republish(self, topic: str, key: str | bytes | None, value: bytes) -> None:
        """Publish a stored message again, byte for byte (its id unchanged)."""
        raw_key = key.encode() if isinstance(key, str) else key
        self._outbox.add_encoded(self._topic_name(topic), raw_key, value)
