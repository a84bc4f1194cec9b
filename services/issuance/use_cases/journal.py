"""What every command does alike: post its movement (the journal, and the balances the
transaction locked, in step), record its decision, and answer in the ledger's terms."""

from __future__ import annotations

from typing import Any

from schemas import Message
from services.issuance.domain.ledger import Movement
from services.issuance.domain.records import Decision
from services.issuance.use_cases.work import IssuanceWork

EVENTS = "issuance.events"


async def post(work: IssuanceWork, movement: Movement) -> None:
    await work.ledger.post(movement, work.message_id, work.correlation_id)
    work.balances.moved(movement)


def decided(work: IssuanceWork, command: Message, reply: Message, **links: Any) -> None:
    """The command's outcome in the decision log (the audit of which replica decided what)."""
    work.decisions.record(
        Decision(
            work.message_id,
            command.TYPE,
            reply.TYPE,
            getattr(reply, "reason", None),
            getattr(reply, "detail", None),
            **links,
        ),
        work.terms.instance,
    )
