"""What the bank tells us after an order: notices (settled, rejected, returned) and
statements. A notice is stored as received, then applied to its payout (matched by the
end-to-end id); one that arrives before its payout is committed stays pending and the
reconciliation loop applies it. Statements are stored for reconciliation."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.settlement import (
    BankStatement,
    PayoutRejectedNotice,
    PayoutReturnedNotice,
    PayoutSettledNotice,
)
from services.settlement.domain.payouts import OPEN_STATES
from services.settlement.use_cases import payouts
from services.settlement.use_cases.work import SettlementWork

Notice = PayoutSettledNotice | PayoutRejectedNotice | PayoutReturnedNotice
_KINDS: dict[type[Any], str] = {
    PayoutSettledNotice: "settled",
    PayoutRejectedNotice: "rejected",
    PayoutReturnedNotice: "returned",
}
_TYPES = {kind: cls for cls, kind in _KINDS.items()}


async def payout_notice(work: SettlementWork, notice: Notice) -> None:
    message_id = work.message_id
    work.notices.store(
        message_id,
        _KINDS[type(notice)],
        notice.bank_reference,
        notice.end_to_end_id,
        notice.model_dump(mode="json"),
    )
    await apply(work, message_id, notice)


async def apply(work: SettlementWork, message_id: uuid.UUID, notice: Notice) -> bool:
    """Apply a stored notice to its payout; False (still pending) if the payout is not
    there yet, or if a return overtook the settlement it reverses."""
    payout = await work.payouts.locked(notice.end_to_end_id)
    if payout is None:
        return False
    if isinstance(notice, PayoutReturnedNotice) and payout.state in OPEN_STATES:
        return False
    if isinstance(notice, PayoutSettledNotice):
        if notice.amount != payout.amount:
            await work.anomalies.record(
                "settled_amount_mismatch",
                str(payout.payout_id),
                f"bank says {notice.amount}",
            )
        outcome = await payouts.settle(
            work, payout, notice.settled_at, notice.bank_reference, "bank_notice"
        )
    elif isinstance(notice, PayoutRejectedNotice):
        outcome = await payouts.fail(work, payout, notice.reason, notice.detail, "bank_notice")
    else:
        outcome = await payouts.returned(
            work, payout, notice.bank_reference, notice.reason, notice.returned_at, "bank_notice"
        )
    await work.notices.mark(message_id, outcome)
    return True


def parse(kind: str, body: str) -> Notice:
    notice: Notice = _TYPES[kind].model_validate_json(body)
    return notice


async def bank_statement(work: SettlementWork, page: BankStatement) -> None:
    await work.statements.store_page(
        page.statement_id,
        page.sequence,
        page.page,
        page.pages,
        page.account_number,
        (page.period_start, page.period_end),
        [
            (
                line.bank_reference,
                line.end_to_end_id,
                line.direction,
                line.amount.amount_minor,
                line.amount.currency,
                line.booked_at,
                line.description,
            )
            for line in page.lines
        ],
    )
