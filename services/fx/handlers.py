"""FX's entrypoints: reference rates in, quote / execute / reverse commands answered.

Business refusals are typed replies, never exceptions: the runtime stores them in the inbox,
so a command refused once stays refused under its id. Per-redemption work is serialised by
a transaction-scoped lock on the redemption id (replicas may share the partition's history
after a rebalance) and guarded by unique constraints (one conversion, one reversal, one
cancellation per redemption).

A reference rate is refused by the per-step rules (out of order, from the future, a jump),
held for review when it walked away from its pair's own window (domain/review.py: recorded,
not used, the pair's quotes refused with `rate_under_review` until an operator decides, the
first held rate announced as RateHeld), or accepted into the book.

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
from typing import Any

from schemas import Envelope, derive_id
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionRejectReason,
    ConversionReversed,
    ExecuteConversion,
    QuoteIssued,
    QuoteRejected,
    QuoteRejectReason,
    RateHeld,
    ReferenceRate,
    RequestQuote,
    ReversalRejected,
    ReverseConversion,
)
from schemas.money import PAR_CURRENCY
from schemas.rates import CurrencyPair
from services.fx import repository
from services.fx.domain import review
from services.fx.domain.ledger import (
    market_move_movements,
    reversal_movements,
    trade_movements,
)
from services.fx.domain.pricing import expiry, honour, price, reprice
from services.fx.domain.rates import (
    BookRate,
    Refused,
    is_stale,
    payout_currency,
    per_cnh,
)
from services.fx.domain.review import Held, anchors
from services.fx.settings import FxSettings
from services.runtime.clock import accepted_at
from services.runtime.db import Connection
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.logging import get_logger
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)

EVENTS = "fx.events"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def plain(value: Decimal) -> str:
    """A book value as a rate string (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def _refusal(verdict: Refused | Held | None) -> tuple[str, str] | None:
    """How a rate update is recorded: accepted (None), refused, or held for review."""
    if isinstance(verdict, Held):
        return ("held", verdict.detail)
    return (verdict.reason, verdict.detail) if verdict else None


async def latest_mid(
    conn: Connection, quote: repository.Quote, now: dt.datetime, max_rate_age_s: float, use: str
) -> BookRate:
    """The mid a reversal or a late quote is priced at: the book's latest, even a stale one
    (neither a compensation nor a firm quote waits for the market; the age is logged), else
    the quote's own."""
    currency = quote.buy.currency
    entry = await repository.book_rate(conn, currency)
    market = entry.rate if entry else BookRate(currency, quote.mid, now)
    if is_stale(market, now, max_rate_age_s):
        log.warning(f"{use} priced at a stale mid", currency=currency, as_of=str(market.as_of))
    return market


async def book_market_move(
    ctx: HandlerContext[ExecuteConversion],
    conversion_id: uuid.UUID,
    quote: repository.Quote,
    market: Decimal,
    now: dt.datetime,
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
        await repository.post_entry(
            ctx.connection,
            entry_id=derive_id(conversion_id, "market_move"),
            kind="market_move",
            redemption_id=quote.redemption_id,
            conversion_id=conversion_id,
            command_id=ctx.message.message_id,
            movements=movements,
        )


def build_subscriptions(settings: FxSettings) -> list[Subscription]:
    rates = Subscription("fx.rates")
    commands = Subscription("fx.commands")

    @rates.handles(ReferenceRate)
    async def on_reference_rate(ctx: HandlerContext[ReferenceRate], rate: ReferenceRate) -> None:
        currency = payout_currency(rate.pair)
        if isinstance(currency, Refused):
            log.warning("reference rate ignored", pair=str(rate.pair), reason=currency.reason)
            return None
        try:
            value = per_cnh(rate.pair, rate.mid)
        except ValueError as exc:
            log.warning("reference rate ignored", pair=str(rate.pair), reason=str(exc))
            return None
        candidate = BookRate(currency, value, rate.as_of)
        await repository.lock_currency(ctx.connection, currency)
        current = await repository.book_rate(ctx.connection, currency)
        verdict = await judge(ctx.connection, candidate, current.rate if current else None)
        update_id = await repository.record_rate_update(
            ctx.connection,
            pair=str(rate.pair),
            mid=rate.mid,
            rate=candidate,
            source=rate.source,
            message_id=ctx.message.message_id,
            refusal=_refusal(verdict),
        )
        if isinstance(verdict, Held):
            await hold(ctx, candidate, rate.source, update_id, verdict)
            return None
        if verdict is not None:
            log.warning("reference rate refused", reason=verdict.reason, detail=verdict.detail)
            return None
        await repository.set_book_rate(ctx.connection, candidate, update_id)
        log.info("reference rate accepted", currency=currency, per_cnh=str(value))
        return None

    async def judge(
        conn: Connection, candidate: BookRate, current: BookRate | None
    ) -> Refused | Held | None:
        now = utc_now()
        windows = settings.review_windows
        medians = await repository.window_medians(conn, candidate.currency, now, windows)
        return review.judge(
            current, candidate, now, settings.rate_bounds, anchors(windows, medians, current)
        )

    async def hold(
        ctx: HandlerContext[ReferenceRate],
        candidate: BookRate,
        source: str,
        update_id: int,
        held: Held,
    ) -> None:
        """The pair is quoted no more; the first held rate of a hold is announced, later ones
        only join it (a release applies the latest)."""
        log.warning(
            "reference rate held for review", currency=candidate.currency, detail=held.detail
        )
        existing = await repository.open_hold(ctx.connection, candidate.currency)
        if existing is not None:
            await repository.extend_hold(ctx.connection, existing.hold_id, update_id)
            return
        await repository.insert_hold(ctx.connection, candidate.currency, update_id, held)
        pair = CurrencyPair(base=PAR_CURRENCY, quote=candidate.currency)
        event = RateHeld(
            pair=pair,
            held_per_cnh=plain(candidate.per_cnh),
            as_of=candidate.as_of,
            source=source,
            window_median=plain(held.anchor.median),
            window_s=held.anchor.window.span_s,
            drift_bps=int(held.drift_bps),
            bound_bps=held.anchor.window.max_drift_bps,
        )
        ctx.publish(EVENTS, str(pair), event)

    @commands.handles(RequestQuote)
    async def request_quote(
        ctx: HandlerContext[RequestQuote], command: RequestQuote
    ) -> QuoteIssued | QuoteRejected:
        def refuse(reason: QuoteRejectReason, detail: str) -> QuoteRejected:
            return QuoteRejected(redemption_id=command.redemption_id, reason=reason, detail=detail)

        now = utc_now()
        currency = command.buy_currency
        basis = (
            repository.QuoteBasis(None, 0, under_review=False)
            if currency == PAR_CURRENCY
            else await repository.quote_basis(ctx.connection, currency)
        )
        entry = basis.entry
        if entry is None:
            return refuse("unsupported_currency", f"no conversion from CNH to {currency}")
        if basis.under_review:
            return refuse(
                "rate_under_review", f"the {currency} rate is held for review by an operator"
            )
        if is_stale(entry.rate, now, settings.fx_max_rate_age_s):
            return refuse(
                "stale_rate", f"the {currency} rate of {entry.rate.as_of.isoformat()} is too old"
            )
        priced = price(command.sell, currency, entry.rate.per_cnh, settings.pricing_terms)
        if isinstance(priced, Refused):
            return refuse("too_small", priced.detail)  # pricing refuses nothing else
        limit = settings.exposure_limit(currency)
        if basis.position + priced.buy.amount_minor > limit:
            return refuse("exposure_limit", f"{currency} position would exceed its limit")
        quote = repository.Quote(
            quote_id=derive_id(ctx.message.message_id, "quote"),
            redemption_id=command.redemption_id,
            sell=priced.sell,
            fee=priced.fee,
            buy=priced.buy,
            rate=priced.rate,
            mid=priced.mid,
            remainder=priced.remainder,
            spread=priced.spread,
            expires_at=expiry(
                now, command.ttl_seconds, settings.fx_quote_ttl_s, settings.fx_max_quote_ttl_s
            ),
            used=False,
        )
        await repository.insert_quote(
            ctx.connection,
            quote,
            rate_update_id=entry.update_id,
            issued_at=now,
            command_id=ctx.message.message_id,
        )
        issued = QuoteIssued(
            quote_id=quote.quote_id,
            redemption_id=quote.redemption_id,
            sell=quote.sell,
            buy=quote.buy,
            rate=quote.rate,
            fee=quote.fee,
            expires_at=quote.expires_at,
        )
        ctx.publish(EVENTS, str(command.redemption_id), issued)
        return issued

    @commands.handles(ExecuteConversion)
    async def execute_conversion(
        ctx: HandlerContext[ExecuteConversion], command: ExecuteConversion
    ) -> ConversionExecuted | ConversionRejected:
        def refuse(reason: ConversionRejectReason, detail: str) -> ConversionRejected:
            return ConversionRejected(
                redemption_id=command.redemption_id,
                quote_id=command.quote_id,
                reason=reason,
                detail=detail,
            )

        conn = ctx.connection
        now = utc_now()
        await ctx.staged(repository.RedemptionLocks).lock([command.redemption_id])
        execution = await repository.execution_of(conn, command.redemption_id, command.quote_id)
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
                f"the request was accepted after the quote expired at "
                f"{quote.expires_at.isoformat()}",
            )
        currency = quote.buy.currency
        limit = settings.exposure_limit(currency)
        if not await repository.grow_position(conn, currency, quote.buy.amount_minor, limit):
            return refuse("exposure_limit", f"{currency} position would exceed its limit")
        conversion_id = derive_id(command.redemption_id, "fx.conversion")
        late = now >= quote.expires_at
        market = (
            (await latest_mid(conn, quote, now, settings.fx_max_rate_age_s, "late quote")).per_cnh
            if late
            else None
        )
        await repository.insert_conversion(
            conn,
            conversion_id,
            quote,
            at=now,
            command_id=ctx.message.message_id,
            accepted_at=command.accepted_at,
            market_mid=market,
        )
        await repository.post_entry(
            conn,
            entry_id=derive_id(conversion_id, "trade"),
            kind="trade",
            redemption_id=command.redemption_id,
            conversion_id=conversion_id,
            command_id=ctx.message.message_id,
            movements=trade_movements(quote.trade),
        )
        if market is not None:
            await book_market_move(ctx, conversion_id, quote, market, now)
        executed = ConversionExecuted(
            conversion_id=conversion_id,
            redemption_id=command.redemption_id,
            quote_id=quote.quote_id,
            sold=quote.sell,
            bought=quote.buy,
            rate=quote.rate,
            fee=quote.fee,
        )
        ctx.publish(EVENTS, str(command.redemption_id), executed)
        return executed

    @commands.handles(ReverseConversion)
    async def reverse_conversion(
        ctx: HandlerContext[ReverseConversion], command: ReverseConversion
    ) -> ConversionReversed | ReversalRejected:
        conn = ctx.connection
        now = utc_now()
        await ctx.staged(repository.RedemptionLocks).lock([command.redemption_id])
        conversion = await repository.conversion_of(conn, command.redemption_id)
        if conversion is None:
            # The execute may still be in flight: record the cancellation so it is refused.
            await repository.cancel(
                conn, command.redemption_id, at=now, command_id=ctx.message.message_id
            )
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
        quote = await repository.quote_of(conn, conversion.conversion_id)
        currency = quote.buy.currency
        # its age is recorded with the reversal
        market = await latest_mid(conn, quote, now, settings.fx_max_rate_age_s, "reversal")
        trade = quote.trade
        result = reprice(quote.sell - quote.fee, quote.mid, market.per_cnh, currency)
        reversal = repository.Reversal(
            conversion_id=conversion.conversion_id,
            redemption_id=command.redemption_id,
            returned=quote.sell,
            market=market,
            issuer_loss=result.loss,
            issuer_gain=result.gain,
        )
        await repository.insert_reversal(conn, reversal, at=now, command_id=ctx.message.message_id)
        await repository.post_entry(
            conn,
            entry_id=derive_id(conversion.conversion_id, "reversal"),
            kind="reversal",
            redemption_id=command.redemption_id,
            conversion_id=conversion.conversion_id,
            command_id=ctx.message.message_id,
            movements=reversal_movements(trade, result),
        )
        await repository.shrink_position(conn, currency, quote.buy.amount_minor)
        reversed_ = ConversionReversed(
            redemption_id=command.redemption_id,
            conversion_id=conversion.conversion_id,
            returned=quote.sell,
            issuer_loss=result.loss,
        )
        ctx.publish(EVENTS, str(command.redemption_id), reversed_)
        return reversed_

    async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # the positions, then the redemptions: two replicas' batches never wait in a cycle
        converting = [
            m.payload.redemption_id
            for m in batch
            if isinstance(m.payload, (ExecuteConversion, ReverseConversion))
        ]
        if converting:
            await repository.lock_positions(uow.connection)
            await uow.staged(repository.RedemptionLocks).lock(converting)

    commands.prepare = lock_in_order
    return [rates, commands]
