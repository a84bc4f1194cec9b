"""A reference rate from the fx.rates feed: refused by the per-step rules (out of order, from
the future, a jump), held for review when it walked away from its pair's own window
(domain/review.py: recorded, not used, the pair's quotes refused with `rate_under_review`
until an operator decides, the first held rate announced as RateHeld), or accepted into the
book."""

from __future__ import annotations

from schemas.fx import RateHeld, ReferenceRate
from schemas.money import PAR_CURRENCY
from schemas.rates import CurrencyPair
from services.fx.domain import review
from services.fx.domain.rates import (
    BookRate,
    RateUpdate,
    Refused,
    payout_currency,
    per_cnh,
    plain,
)
from services.fx.domain.review import Held, anchors, recorded_as
from services.fx.use_cases.work import FxWork
from services.runtime.logging import get_logger

log = get_logger(__name__)

EVENTS = "fx.events"


async def take_reference_rate(work: FxWork, rate: ReferenceRate) -> None:
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
    await work.rates.lock_currency(currency)
    current = await work.rates.book_rate(currency)
    verdict = await judge(work, candidate, current.rate if current else None)
    update_id = await work.rates.record_rate_update(
        RateUpdate(
            pair=str(rate.pair),
            mid=rate.mid,
            rate=candidate,
            source=rate.source,
            message_id=work.message_id,
            refusal=recorded_as(verdict),
        )
    )
    if isinstance(verdict, Held):
        await hold(work, candidate, rate.source, update_id, verdict)
        return None
    if verdict is not None:
        log.warning("reference rate refused", reason=verdict.reason, detail=verdict.detail)
        return None
    await work.rates.set_book_rate(candidate, update_id)
    log.info("reference rate accepted", currency=currency, per_cnh=str(value))
    return None


async def judge(
    work: FxWork, candidate: BookRate, current: BookRate | None
) -> Refused | Held | None:
    now = work.now()
    windows = work.terms.review_windows
    medians = await work.rates.window_medians(candidate.currency, now, windows)
    return review.judge(
        current, candidate, now, work.terms.rate_bounds, anchors(windows, medians, current)
    )


async def hold(work: FxWork, candidate: BookRate, source: str, update_id: int, held: Held) -> None:
    """The pair is quoted no more; the first held rate of a hold is announced, later ones
    only join it (a release applies the latest)."""
    log.warning("reference rate held for review", currency=candidate.currency, detail=held.detail)
    existing = await work.holds.open_hold(candidate.currency)
    if existing is not None:
        await work.holds.extend_hold(existing.hold_id, update_id)
        return
    await work.holds.insert_hold(candidate.currency, update_id, held)
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
    work.publish(EVENTS, str(pair), event)
