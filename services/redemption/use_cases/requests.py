"""Redeem (redemption.requests): the holder's signed request starts the saga, or is refused
with a reason before any service is asked anything; a repeat starts nothing."""

from __future__ import annotations

import secrets

from schemas.redemption import Redeem
from services.redemption.domain.decide import start
from services.redemption.domain.requests import claims, refuse, replayed, validate
from services.redemption.domain.state import Request
from services.redemption.use_cases.carry_out import EVENTS, carry_out
from services.redemption.use_cases.work import RedemptionWork
from services.runtime.clock import accepted_at
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError

log = get_logger(__name__)


async def redeem(work: RedemptionWork, command: Redeem) -> None:
    now = work.now()
    # the broker stamps the topic on arrival: time spent waiting in the platform (a
    # consumer catching up after a fault) is the platform's, never the customer's
    arrived = accepted_at(work.appended_at, now)
    request = Request(
        redemption_id=command.redemption_id,
        customer_id=command.customer_id,
        wallet_id=command.wallet_id,
        amount=command.amount,
        payout_currency=command.payout_currency,
        quote_id=command.quote_id,
        beneficiary_account_id=command.beneficiary_account_id,
        deadline=command.deadline,
        signature=command.signature,
        accepted_at=arrived,
    )
    quote = await work.quotes.get(command.redemption_id)
    if not claims(request, quote):
        log.warning("redeem request under a redemption id quoted to another holder; ignored")
        return
    replay = replayed(request, await work.sagas.signed_for(request.signature))
    problem = replay or validate(request, quote, arrived)
    decision = (
        refuse(request, problem, now)
        if problem
        else start(request, now, work.terms, secrets.token_hex(16))
    )
    # a replayed signature stays its first redemption's: the refusal does not claim it
    claimed = None if replay else request.signature
    if not await work.sagas.insert(decision.saga, claimed):
        if not await work.sagas.exists(request.redemption_id):
            raise TransientError("a concurrent request carried the same signature")
        await _repeat(work, command)
        return
    carry_out(work, decision, now)


async def _repeat(work: RedemptionWork, command: Redeem) -> None:
    """A repeated request: no second saga; a finished one answers with the same outcome."""
    rid = command.redemption_id
    outcome = await work.sagas.outcome_of(rid)
    if outcome is not None:
        work.outlet.republish(EVENTS, str(rid), outcome)
    log.info("repeated redeem request", finished=outcome is not None)
