"""The fake of a service's unit of work, for use-case tests without servers.

A service's fake subclasses `FakeWork` and adds its repositories as small in-memory
classes (tests/unit/<service>/fakes.py); `published` is what the use case emitted."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from schemas import Message

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Published:
    topic: str
    key: str | bytes
    payload: Message
    reply_to: str | None = None
    # identities: a test that cares asserts them by name; comparing what was published
    # compares where it went and what it said
    message_id: uuid.UUID | None = field(default=None, compare=False)
    correlation_id: uuid.UUID | None = field(default=None, compare=False)


@dataclass
class FakeWork:
    message_id: uuid.UUID = field(default_factory=uuid.uuid4)
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    appended_at: dt.datetime | None = None
    clock: dt.datetime = T0
    published: list[Published] = field(default_factory=list)

    def now(self) -> dt.datetime:
        return self.clock

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> None:
        self.published.append(Published(topic, key, payload, reply_to, message_id, correlation_id))

    def next_message(self) -> None:
        """The next message's identity: what the use case derives ids from is its own, and
        `published` says what it alone emitted."""
        self.message_id, self.correlation_id, self.published = uuid.uuid4(), uuid.uuid4(), []

    def payloads(self, kind: type[Message] = Message) -> list[Message]:
        return [p.payload for p in self.published if isinstance(p.payload, kind)]
