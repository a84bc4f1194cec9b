"""QuoteRedemption (redemption.requests) and FX's answer (redemption.replies): the saga
asks FX for a firm quote and tells the holder the rate, payout, fee and expiry before they
commit; the same question gets the same answer."""

from __future__ import annotations

from schemas import Message, derive_id
from schemas.fx import QuoteIssued, RequestQuote
from schemas.money import TOKEN, Money, par_cnh
from schemas.redemption import QuoteRedemption, RedemptionFailed, RedemptionQuoted
from services.redemption.domain.quotes import QuoteRequest
from services.redemption.use_cases.carry_out import EVENTS, REPLIES
from services.redemption.use_cases.work import RedemptionWork
from services.runtime.logging import get_logger

log = get_logger(__name__)


async def quote_redemption(work: RedemptionWork, command: QuoteRedemption) -> None:
    rid = command.redemption_id
    known = await work.quotes.get(rid)
    if known is not None:
        if known.outcome is not None:
            work.outlet.republish(EVENTS, str(rid), known.outcome)  # same question, same answer
        return
    try:
        sell = par_cnh(command.amount)
    except ValueError as exc:
        failed = RedemptionFailed(redemption_id=rid, reason="invalid_amount", detail=str(exc))
        work.outlet.publish(EVENTS, str(rid), failed, correlation_id=rid)
        return
    await work.quotes.add(
        QuoteRequest(
            rid,
            command.customer_id,
            command.wallet_id,
            command.amount.amount_minor,
            command.payout_currency,
            quote_id=None,
            status="requested",
            outcome=None,
        )
    )
    ask = RequestQuote(redemption_id=rid, sell=sell, buy_currency=command.payout_currency)
    work.outlet.publish(
        "fx.commands",
        str(rid),
        ask,
        correlation_id=rid,
        reply_to=REPLIES,
        message_id=derive_id(rid, "quote"),
    )


async def quote_answered(work: RedemptionWork, reply: Message) -> None:
    """FX's QuoteIssued or QuoteRejected, or its runtime's Rejected of the quote request."""
    rid = work.correlation_id
    known = await work.quotes.get(rid)
    if known is None or known.status != "requested":
        log.info("quote reply for no open quote request; ignored", reply=reply.TYPE)
        return
    if isinstance(reply, QuoteIssued):
        event: Message = RedemptionQuoted(
            redemption_id=rid,
            quote_id=reply.quote_id,
            amount=Money(amount_minor=known.amount_minor, currency=TOKEN),
            payout=reply.buy,
            rate=reply.rate,
            fee=reply.fee,
            expires_at=reply.expires_at,
        )
        quote_id, status, expires_at = reply.quote_id, "quoted", reply.expires_at
    else:
        reason = getattr(reply, "reason", "rejected")
        event = RedemptionFailed(
            redemption_id=rid,
            reason=f"quote_{reason}",
            detail=str(getattr(reply, "detail", "")),
        )
        quote_id, status, expires_at = None, "rejected", None
    env = work.outlet.publish(
        EVENTS,
        str(rid),
        event,
        correlation_id=rid,
        message_id=derive_id(rid, "quote", "outcome"),
    )
    await work.quotes.settle(known, quote_id, status, env.to_bytes(), expires_at)
