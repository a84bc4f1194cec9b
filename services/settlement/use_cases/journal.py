"""Posting to the journal: an entry that moves the CNH reserve is told on settlement.events
in the same transaction, so that issuance's own view of the reserve misses none."""

from __future__ import annotations

import uuid

from schemas import Money, derive_id
from schemas.settlement import ReserveMoved
from services.settlement.domain import ledger
from services.settlement.repository.ledger import Links
from services.settlement.use_cases.work import SettlementWork

EVENTS = "settlement.events"
RESERVE = ledger.account_code("reserve_bank", "CNH")


def links(work: SettlementWork, **about: uuid.UUID | str | None) -> Links:
    """What an entry is about, with who posts it and the message that caused it."""
    return Links(work.actor, work.cause, **about)  # type: ignore[arg-type]


def post(work: SettlementWork, entry_id: uuid.UUID, entry: ledger.Entry, about: Links) -> None:
    work.journal.post(entry_id, entry, about)
    change = ledger.reserve_change(entry)
    if change == 0:
        return
    key = about.deposit_id or about.redemption_id or entry_id
    work.publish(
        EVENTS,
        str(key),
        ReserveMoved(
            entry_id=entry_id,
            direction="in" if change > 0 else "out",
            amount=Money(amount_minor=abs(change), currency="CNH"),
            cause=entry.template,
            deposit_id=about.deposit_id,
            redemption_id=about.redemption_id,
        ),
        message_id=derive_id(entry_id, "reserve_moved"),
        correlation_id=key,
    )


async def reserve(work: SettlementWork) -> int:
    """The CNH reserve account's balance, with this transaction's entries."""
    return await work.journal.balance(RESERVE)
