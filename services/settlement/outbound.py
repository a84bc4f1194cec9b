"""Emitting messages through the outbox, the same way from a handler, a background task or
an operator command. Every message id is given by the caller, derived from a business key
(a deposit id, a payout id), so that doing the same work twice emits the same message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from schemas import Message, Money, derive_id, envelope
from schemas.settlement import ReserveMoved
from services.runtime.db import Connection
from services.runtime.handlers import HandlerContext
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import StagedWriter, UnitOfWork
from services.settlement.domain import ledger
from services.settlement.repository.business import History, Notices, PayoutBook
from services.settlement.repository.ledger import Journal, Links

EVENTS = "settlement.events"


class Outbound(Protocol):
    def __call__(
        self,
        topic: str,
        key: str,
        payload: Message,
        *,
        message_id: uuid.UUID,
        correlation_id: uuid.UUID,
        reply_to: str | None = None,
    ) -> None: ...


class Staged(Protocol):
    def __call__(self, kind: type[W]) -> W: ...


W = TypeVar("W", bound=StagedWriter)


@dataclass(frozen=True, slots=True)
class Work:
    """One transaction's worth of settlement work: where to write, where to emit, and who
    and what caused it (recorded in the journal and the history)."""

    connection: Connection
    publish: Outbound
    staged: Staged
    """The transaction's staged objects (services/runtime/unit_of_work.py)."""
    actor: str
    cause: uuid.UUID | None = None

    @property
    def journal(self) -> Journal:
        """Where the transaction's journal entries go (written just before its commit)."""
        return self.staged(Journal)

    def post(self, entry_id: uuid.UUID, entry: ledger.Entry, links: Links) -> None:
        """Journal an entry; one that moves the CNH reserve is told on settlement.events in
        the same transaction, so that issuance's own view of the reserve misses none."""
        self.journal.post(entry_id, entry, links)
        change = ledger.reserve_change(entry)
        if change == 0:
            return
        about = links.deposit_id or links.redemption_id or entry_id
        self.publish(
            EVENTS,
            str(about),
            ReserveMoved(
                entry_id=entry_id,
                direction="in" if change > 0 else "out",
                amount=Money(amount_minor=abs(change), currency="CNH"),
                cause=entry.template,
                deposit_id=links.deposit_id,
                redemption_id=links.redemption_id,
            ),
            message_id=derive_id(entry_id, "reserve_moved"),
            correlation_id=about,
        )

    @property
    def history(self) -> History:
        """Where its state changes are recorded (written just before its commit)."""
        return self.staged(History)

    @property
    def payouts(self) -> PayoutBook:
        """The payouts it reads and records (locked, read once per batch)."""
        return self.staged(PayoutBook)

    @property
    def notices(self) -> Notices:
        """The bank notices it receives (written just before its commit)."""
        return self.staged(Notices)


def from_context(ctx: HandlerContext[Any], actor: str) -> Work:
    def publish(
        topic: str,
        key: str,
        payload: Message,
        *,
        message_id: uuid.UUID,
        correlation_id: uuid.UUID,
        reply_to: str | None = None,
    ) -> None:
        ctx.publish(
            topic,
            key,
            payload,
            message_id=message_id,
            correlation_id=correlation_id,
            reply_to=reply_to,
        )

    return Work(ctx.connection, publish, ctx.staged, actor, ctx.message.message_id)


def from_outbox(
    uow: UnitOfWork,
    settings: ServiceSettings,
    actor: str,
    producer: str = "",
) -> Work:
    def publish(
        topic: str,
        key: str,
        payload: Message,
        *,
        message_id: uuid.UUID,
        correlation_id: uuid.UUID,
        reply_to: str | None = None,
    ) -> None:
        env = envelope(
            payload,
            producer=producer or settings.service,
            correlation_id=correlation_id,
            reply_to=settings.topic(reply_to) if reply_to else None,
            message_id=message_id,
        )
        uow.outbox.add(settings.topic(topic), key, env)

    return Work(uow.connection, publish, uow.staged, actor)
