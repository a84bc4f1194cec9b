"""Settlement's facts (settlement.events), kept as issuance's own view of the deposits and
of the reserve: what makes a mint possible, whatever a mint command claims."""

from __future__ import annotations

from schemas.settlement import DepositMatched, DepositRefunded, ReserveMoved
from services.issuance.domain.views import DepositView
from services.issuance.use_cases.work import IssuanceWork


async def reserve_moved(work: IssuanceWork, event: ReserveMoved) -> None:
    work.reserve.moved(
        event.entry_id, event.direction, event.amount.amount_minor, event.cause,
        event.deposit_id, event.redemption_id, work.message_id,
    )  # fmt: skip


async def deposit_matched(work: IssuanceWork, event: DepositMatched) -> None:
    deposit = DepositView(
        event.deposit_id, event.customer_id, event.wallet_id, event.tokens.amount_minor,
        refunded=False,
    )  # fmt: skip
    work.deposits.matched(deposit, work.message_id)


async def deposit_refunded(work: IssuanceWork, event: DepositRefunded) -> None:
    await work.deposits.refunded(event.deposit_id, work.message_id)
