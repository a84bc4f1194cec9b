"""ExecuteConversion and ReverseConversion: a redemption's one conversion, and its reversal.

Per-redemption work is serialised by a transaction-scoped lock on the redemption id
(replicas may share the partition's history after a rebalance) and guarded by unique
constraints (one conversion, one reversal, one cancellation per redemption).

Execute checks, in order: cancelled (a reversal came first) -> quote_unknown -> quote_foreign
(bound to another redemption) -> quote_used (this quote executed, or the redemption already
converted with another quote: one conversion per redemption) -> quote_expired (the time the
platform accepted the redeem request, which the saga's command carries, against the quote's
`expires_at`) -> exposure_limit (atomic against the open position). Execution books the
quote's stored amounts: nothing is re-priced between quote and trade. A quote is firm: one
accepted in time is honoured however long the saga took, and when that is past its expiry
the market's move since the quote is the issuer's, booked beside the trade (market_move).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from schemas import derive_id
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionRejectReason,
    ConversionReversed,
    ExecuteConversion,
    ReversalRejected,
    ReverseConversion,
)
from services.fx.domain.conversions import Reversal
from services.fx.domain.ledger import (
    Entry,
    Movement,
    market_move_movements,
    reversal_movements,
    trade_movements,
)
from services.fx.domain.pricing import honour, reprice
from services.fx.domain.quotes import Quote
from services.fx.domain.rates import BookRate, is_stale, plain
from services.fx.use_cases.rates import EVENTS
from services.fx.use_cases.work import FxWork
from services.runtime.clock import accepted_at
from services.runtime.logging import get_logger

log = get_logger(__name__)


async def execute_conversion(
    work: FxWork, command: ExecuteConversion
) -> ConversionExecuted | ConversionRejected:
    def refuse(reason: ConversionRejectReason, detail: str) -> ConversionRejected:
        return ConversionRejected(
            redemption_id=command.redemption_id,
            quote_id=command.quote_id,
            reason=reason,
            detail=detail,
        )

    now = work.now()
    await work.conversions.lock(command.redemption_id)
    execution = await work.conversions.execution_of(command.redemption_id, command.quote_id)
    if execution.cancelled:
        return refuse("cancelled", "the conversion of this redemption was cancelled")
    quote = execution.quote
    if quote is None:
        return refuse("quote_unknown", "no such quote")
    if quote.redemption_id != command.redemption_id:
        return refuse("quote_foreign", "the quote was issued for another redemption")
    if quote.used:
        return refuse("quote_used", "the quote was already executed")
    if execution.converted_with is not None:
        return refuse(
            "quote_used",
            f"the redemption was already converted with quote {execution.converted_with}",
        )
    if accepted_at(command.accepted_at, now) >= quote.expires_at:
        return refuse(
            "quote_expired",
            f"the request was accepted after the quote expired at {quote.expires_at.isoformat()}",
        )
    currency = quote.buy.currency
    limit = work.terms.exposure_limit(currency)
    if not await work.positions.grow(currency, quote.buy.amount_minor, limit):
        return refuse("exposure_limit", f"{currency} position would exceed its limit")
    conversion_id = derive_id(command.redemption_id, "fx.conversion")
    late = now >= quote.expires_at
    market = (await latest_mid(work, quote, now, "late quote")).per_cnh if late else None
    await work.conversions.insert_conversion(
        conversion_id,
        quote,
        at=now,
        command_id=work.message_id,
        accepted_at=command.accepted_at,
        market_mid=market,
    )
    await _post(work, "trade", command.redemption_id, conversion_id, trade_movements(quote.trade))
    if market is not None:
        await book_market_move(work, conversion_id, quote, market, now)
    executed = ConversionExecuted(
        conversion_id=conversion_id,
        redemption_id=command.redemption_id,
        quote_id=quote.quote_id,
        sold=quote.sell,
        bought=quote.buy,
        rate=quote.rate,
        fee=quote.fee,
    )
    work.publish(EVENTS, str(command.redemption_id), executed)
    return executed


async def reverse_conversion(
    work: FxWork, command: ReverseConversion
) -> ConversionReversed | ReversalRejected:
    now = work.now()
    await work.conversions.lock(command.redemption_id)
    conversion = await work.conversions.conversion_of(command.redemption_id)
    if conversion is None:
        # The execute may still be in flight: record the cancellation so it is refused.
        await work.conversions.cancel(command.redemption_id, at=now, command_id=work.message_id)
        return ReversalRejected(
            redemption_id=command.redemption_id,
            reason="unknown_conversion",
            detail="nothing was converted; the redemption's conversion is now cancelled",
        )
    if conversion.reversed:
        return ReversalRejected(
            redemption_id=command.redemption_id,
            reason="already_reversed",
            detail=f"conversion {conversion.conversion_id} was already reversed",
        )
    quote = await work.conversions.quote_of(conversion.conversion_id)
    currency = quote.buy.currency
    # its age is recorded with the reversal
    market = await latest_mid(work, quote, now, "reversal")
    trade = quote.trade
    result = reprice(quote.sell - quote.fee, quote.mid, market.per_cnh, currency)
    reversal = Reversal(
        conversion_id=conversion.conversion_id,
        redemption_id=command.redemption_id,
        returned=quote.sell,
        market=market,
        issuer_loss=result.loss,
        issuer_gain=result.gain,
    )
    await work.conversions.insert_reversal(reversal, at=now, command_id=work.message_id)
    await _post(
        work,
        "reversal",
        command.redemption_id,
        conversion.conversion_id,
        reversal_movements(trade, result),
    )
    await work.positions.shrink(currency, quote.buy.amount_minor)
    reversed_ = ConversionReversed(
        redemption_id=command.redemption_id,
        conversion_id=conversion.conversion_id,
        returned=quote.sell,
        issuer_loss=result.loss,
    )
    work.publish(EVENTS, str(command.redemption_id), reversed_)
    return reversed_


async def latest_mid(work: FxWork, quote: Quote, now: dt.datetime, use: str) -> BookRate:
    """The mid a reversal or a late quote is priced at: the book's latest, even a stale one
    (neither a compensation nor a firm quote waits for the market; the age is logged), else
    the quote's own."""
    currency = quote.buy.currency
    entry = await work.rates.book_rate(currency)
    market = entry.rate if entry else BookRate(currency, quote.mid, now)
    if is_stale(market, now, work.terms.max_rate_age_s):
        log.warning(f"{use} priced at a stale mid", currency=currency, as_of=str(market.as_of))
    return market


async def book_market_move(
    work: FxWork, conversion_id: uuid.UUID, quote: Quote, market: Decimal, now: dt.datetime
) -> None:
    result = honour(quote.sell - quote.fee, quote.mid, market, quote.buy.currency)
    log.info(
        "quote honoured after its expiry; the market's move is the issuer's",
        late_by_s=round((now - quote.expires_at).total_seconds(), 3),
        quoted_mid=plain(quote.mid),
        market_mid=plain(market),
        issuer_loss=str(result.loss),
        issuer_gain=str(result.gain),
    )
    movements = market_move_movements(result)
    if movements:  # an unmoved market moves nothing
        await _post(work, "market_move", quote.redemption_id, conversion_id, movements)


async def _post(
    work: FxWork,
    kind: str,
    redemption_id: uuid.UUID,
    conversion_id: uuid.UUID,
    movements: Sequence[Movement],
) -> None:
    """A conversion's journal entry of `kind`: one per kind and conversion (its id derives
    from both), caused by the command being handled."""
    await work.journal.post_entry(
        Entry(
            entry_id=derive_id(conversion_id, kind),
            kind=kind,
            redemption_id=redemption_id,
            conversion_id=conversion_id,
            command_id=work.message_id,
            movements=movements,
        )
    )
