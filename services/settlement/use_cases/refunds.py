"""The operator's refund of a suspended deposit: a payout back to the payer, through the
rail, from the reserve account where the money sits (journal: refund_ordered, then
refund_settled / refund_failed / the return case)."""

from __future__ import annotations

import uuid

from schemas.sealed import SealError
from schemas.settlement import DepositParticulars, deposit_context
from services.settlement.domain.deposits import move
from services.settlement.repository.payouts import Payout
from services.settlement.use_cases import deposits, payouts
from services.settlement.use_cases.work import SettlementWork


class RefundRefused(Exception):
    """The deposit cannot be refunded (unknown, not in suspense, or its payer unknown)."""


async def refund_deposit(work: SettlementWork, deposit_id: uuid.UUID) -> Payout:
    """`keys`: settlement's own; the payer is opened from the deposit's sealed particulars
    in memory, for the order, and is not kept anywhere else."""
    deposit = await work.deposits.for_update(deposit_id)
    if deposit is None:
        raise RefundRefused(f"no deposit {deposit_id}")
    if move(deposit.state, "refund_ordered") is None:
        raise RefundRefused(f"deposit {deposit_id} is {deposit.state}, not suspended")
    if await work.payouts.of_deposit(deposit_id):
        raise RefundRefused(f"deposit {deposit_id} was refunded once already: see its history")
    if deposit.particulars is None:
        raise RefundRefused(
            f"deposit {deposit_id} was received before its payer was kept sealed "
            "(settlement_0009): refund it with the payer's account from the bank"
        )
    try:
        payer = work.terms.keys.open(
            deposit.particulars, DepositParticulars, deposit_context(deposit.bank_reference)
        ).payer
    except SealError as error:
        raise RefundRefused(
            f"deposit {deposit_id}: its payer does not open ({error.reason})"
        ) from None
    payout = await payouts.refund(work, deposit_id, payer, deposit.amount)
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
    await deposits.refund_moved(work, deposit_id, "refund_ordered", str(payout.payout_id))
    return payout
