"""RequestQuote: a firm quote for a redemption, priced at the book's mid, or a typed refusal
(unsupported_currency, rate_under_review, stale_rate, too_small, exposure_limit)."""

from __future__ import annotations

from schemas import derive_id
from schemas.fx import QuoteIssued, QuoteRejected, QuoteRejectReason, RequestQuote
from schemas.money import PAR_CURRENCY
from services.fx.domain.pricing import expiry, price
from services.fx.domain.quotes import Quote, QuoteBasis
from services.fx.domain.rates import Refused, is_stale
from services.fx.use_cases.rates import EVENTS
from services.fx.use_cases.work import FxWork


async def request_quote(work: FxWork, command: RequestQuote) -> QuoteIssued | QuoteRejected:
    def refuse(reason: QuoteRejectReason, detail: str) -> QuoteRejected:
        return QuoteRejected(redemption_id=command.redemption_id, reason=reason, detail=detail)

    terms = work.terms
    now = work.now()
    currency = command.buy_currency
    basis = (
        QuoteBasis(None, 0, under_review=False)
        if currency == PAR_CURRENCY
        else await work.quotes.quote_basis(currency)
    )
    entry = basis.entry
    if entry is None:
        return refuse("unsupported_currency", f"no conversion from CNH to {currency}")
    if basis.under_review:
        return refuse("rate_under_review", f"the {currency} rate is held for review by an operator")
    if is_stale(entry.rate, now, terms.max_rate_age_s):
        return refuse(
            "stale_rate", f"the {currency} rate of {entry.rate.as_of.isoformat()} is too old"
        )
    priced = price(command.sell, currency, entry.rate.per_cnh, terms.pricing)
    if isinstance(priced, Refused):
        return refuse("too_small", priced.detail)  # pricing refuses nothing else
    limit = terms.exposure_limit(currency)
    if basis.position + priced.buy.amount_minor > limit:
        return refuse("exposure_limit", f"{currency} position would exceed its limit")
    quote = Quote.priced(
        priced,
        quote_id=derive_id(work.message_id, "quote"),
        redemption_id=command.redemption_id,
        expires_at=expiry(now, command.ttl_seconds, terms.quote_ttl_s, terms.max_quote_ttl_s),
    )
    await work.quotes.insert_quote(
        quote, rate_update_id=entry.update_id, issued_at=now, command_id=work.message_id
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
    work.publish(EVENTS, str(command.redemption_id), issued)
    return issued
