"""Settlement's work, the same from a handler, a background task or an operator command:
its transaction, its staged writers and where it emits (the runtime's `Outlet`: a handler's
context or a Publisher). Every message id is given by the caller, derived from a business
key (a deposit id, a payout id), so that doing the same work twice emits the same message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from schemas import Money, derive_id
from schemas.settlement import ReserveMoved
from services.runtime.db import Connection
from services.runtime.handlers import HandlerContext
from services.runtime.publisher import Outlet, Publisher
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import StagedWriter, UnitOfWork
from services.settlement.domain import ledger
from services.settlement.repository.history import History
from services.settlement.repository.ledger import Journal, Links
from services.settlement.repository.payouts import PayoutBook
from services.settlement.repository.statements import Notices

EVENTS = "settlement.events"


class Staged(Protocol):
    def __call__(self, kind: type[W]) -> W: ...


W = TypeVar("W", bound=StagedWriter)


@dataclass(frozen=True, slots=True)
class Work:
    """One transaction's worth of settlement work: where to write, where to emit, and who
    and what caused it (recorded in the journal and the history)."""

    connection: Connection
    outlet: Outlet
    """Where it emits (a handler's context, or a Publisher outside a handler)."""
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
        self.outlet.publish(
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
    return Work(ctx.connection, ctx, ctx.staged, actor, ctx.message.message_id)


def from_outbox(uow: UnitOfWork, settings: ServiceSettings, actor: str) -> Work:
    return Work(uow.connection, Publisher(uow.outbox, settings), uow.staged, actor)
