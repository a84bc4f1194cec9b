"""Saga step 5 (after the burn): the par value leaves the CNH reserve, once per redemption.

Journal: reserve_released (the reserve pays the conversion's CNH side; the burned tokens'
liability is extinguished). A second ReleaseReserve for the same redemption, under any
command id, gets the first one's answer and moves nothing.
"""

from __future__ import annotations

from schemas import Money, derive_id
from schemas.settlement import ReleaseReserve, ReserveReleased
from services.runtime.retry import PermanentError, TransientError
from services.settlement.domain import ledger
from services.settlement.use_cases.journal import links, post, reserve
from services.settlement.use_cases.work import SettlementWork


async def release_reserve(work: SettlementWork, command: ReleaseReserve) -> ReserveReleased:
    releases = work.releases
    done = await releases.of(command.redemption_id)
    if done is not None:  # one release per redemption, whatever the command id
        return _released(command, done.amount_minor, done.reserve_after)
    payout = await work.payouts.get(command.redemption_id, lock=False)
    if payout is None:
        # not booked yet: releasing first would take backing from tokens still in
        # circulation, so the command waits for its payout
        raise TransientError(f"no booked payout for redemption {command.redemption_id}")
    if payout.state in {"rejected", "failed"}:
        # nothing was paid and nothing will be (one payout per redemption): an operator's case
        raise PermanentError(
            "payout_not_made",
            f"the payout of redemption {command.redemption_id} is {payout.state}",
        )
    if payout.par != command.amount:
        await work.anomalies.record(
            "release_amount_mismatch",
            str(command.redemption_id),
            f"release {command.amount}, payout par {payout.par}",
        )
    entry_id = derive_id(command.redemption_id, "reserve_release")
    post(
        work,
        entry_id,
        ledger.reserve_released(command.amount),
        links(work, redemption_id=command.redemption_id, payout_id=payout.payout_id),
    )
    reserve_after = await reserve(work)
    releases.record(command.redemption_id, command.amount.amount_minor, reserve_after, entry_id)
    return _released(command, command.amount.amount_minor, reserve_after)


def _released(command: ReleaseReserve, amount_minor: int, reserve_after: int) -> ReserveReleased:
    return ReserveReleased(
        redemption_id=command.redemption_id,
        amount=Money(amount_minor=amount_minor, currency="CNH"),
        reserve_after=Money(amount_minor=reserve_after, currency="CNH"),
    )
