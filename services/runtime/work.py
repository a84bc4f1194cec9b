"""The unit of work as a use case sees it, and the one adapter from a handler to a use case.

A service's use cases are small verb functions `verb(work, message) -> reply` in its
`use_cases/` package. They read and change state only through the repositories their
service's work names (one per aggregate), publish through `work.publish`, and take the
time from `work.now()`: so a use case is importable and testable with a fake work of a few
lines (tests/support/work.py), while the SQL stays in `repository/` and the transaction,
the outbox and the inbox stay the runtime's.

A service's `SqlWork` subclasses `Work` and builds its repositories on `self.connection`;
its `handlers.py` maps each message type to a verb with `handler(verb, SqlWork)`.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from schemas import Message
from services.runtime.db import Connection
from services.runtime.handlers import Handler, HandlerContext
from services.runtime.publisher import Publisher
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import UnitOfWork, W


class UseCaseWork(Protocol):
    """What every service's `<Name>Work` protocol starts from (its repositories come on
    top): the message's identity, the clock, the outbox. `Work` and the tests' `FakeWork`
    are its two implementations."""

    @property
    def message_id(self) -> uuid.UUID: ...
    @property
    def correlation_id(self) -> uuid.UUID: ...

    def now(self) -> dt.datetime: ...

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> None: ...


class Work:
    """One message's work inside the batch's transaction: its identity, its clock, the
    outbox to publish to; a service's subclass adds its repositories."""

    def __init__(self, ctx: HandlerContext[Any]) -> None:
        self._ctx = ctx
        self.connection: Connection = ctx.connection

    @property
    def message_id(self) -> uuid.UUID:
        """The id of the message being handled: what derived ids (a quote's, a hold's)
        derive from, so a retried transaction writes the very same rows."""
        return self._ctx.message.message_id

    @property
    def correlation_id(self) -> uuid.UUID:
        return self._ctx.message.correlation_id

    @property
    def appended_at(self) -> dt.datetime | None:
        """When the broker appended the message, on a topic stamped on arrival."""
        return self._ctx.appended_at

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

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
        """Emit a fact or a command caused by this message, atomically with the state
        change (see HandlerContext.publish); `correlation_id`: the message's by default."""
        self._ctx.publish(
            topic, key, payload, reply_to=reply_to, message_id=message_id,
            correlation_id=correlation_id,
        )  # fmt: skip

    def staged(self, kind: type[W]) -> W:
        """The transaction's writer of `kind`, flushed just before the batch commits."""
        return self._ctx.staged(kind)


class OwnWork:
    """A work of its own transaction, with no message behind it (an operator's action, a
    background round, a start-up step): its id is fresh (what the ids it derives and the
    facts it publishes name), and it publishes through the runtime's Publisher into the
    transaction's outbox; a service's subclass adds its repositories."""

    def __init__(self, uow: UnitOfWork, settings: ServiceSettings) -> None:
        self._uow = uow
        self._publisher = Publisher(uow.outbox, settings)
        self.connection: Connection = uow.connection
        self.message_id = self.correlation_id = uuid.uuid4()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def staged(self, kind: type[W]) -> W:
        return self._uow.staged(kind)

    def publish(self, topic: str, key: str | bytes, payload: Message, **options: Any) -> None:
        """As a handler's work publishes (UseCaseWork.publish), correlated with this work
        unless told otherwise."""
        correlation_id = options.pop("correlation_id", None) or self.correlation_id
        self._publisher.publish(topic, key, payload, correlation_id=correlation_id, **options)


WorkT = TypeVar("WorkT", bound=Work)
MessageT = TypeVar("MessageT", bound=Message)


def handler(
    verb: Callable[[WorkT, MessageT], Awaitable[Message | None]],
    work: Callable[[HandlerContext[Any]], WorkT],
) -> Handler:
    """The runtime's handler for a use case: the message's work, then the verb."""

    @functools.wraps(verb)
    async def handle(ctx: HandlerContext[Any], message: MessageT) -> Message | None:
        return await verb(work(ctx), message)

    return handle
