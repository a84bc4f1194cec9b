"""The operator's refund of a suspended deposit: a payout back to the payer, through the
rail, from the reserve account where the money sits (journal: refund_ordered, then
refund_settled / refund_failed / the return case)."""

from __future__ import annotations

import datetime as dt
import uuid

from services.settlement.bank.port import BankRail
from services.settlement.flows import payouts
from services.settlement.outbound import Work
from services.settlement.repository import business as repo
from services.settlement.repository.business import Payout


class RefundRefused(Exception):
    """The deposit cannot be refunded (unknown, or not in suspense)."""


async def refund_deposit(
    work: Work, deposit_id: uuid.UUID, bank: BankRail, now: dt.datetime
) -> Payout:
    deposit = await repo.deposit_for_update(work.connection, deposit_id)
    if deposit is None:
        raise RefundRefused(f"no deposit {deposit_id}")
    if deposit.state != "suspended":
        raise RefundRefused(f"deposit {deposit_id} is {deposit.state}, not suspended")
    if await work.connection.fetchval("SELECT 1 FROM payouts WHERE deposit_id = $1", deposit_id):
        raise RefundRefused(f"deposit {deposit_id} was refunded once already: see its history")
    payout = await payouts.refund(work, deposit_id, deposit.payer, deposit.amount, bank, now)
    if payout.state == "rejected":
        work.history.record(
            "deposit",
            deposit_id,
            "suspended",
            "suspended",
            work.actor,
            "refund_refused",
            payout.detail,
        )
        return payout
    await repo.set_deposit_state(work.connection, deposit_id, "refunding")
    work.history.record(
        "deposit",
        deposit_id,
        "suspended",
        "refunding",
        work.actor,
        "refund_ordered",
        str(payout.payout_id),
    )
    return payout
