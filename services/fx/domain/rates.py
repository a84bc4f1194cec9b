"""The rate book's rules: which reference rates are accepted, and when one is too old.

The book holds one mid per payout currency, expressed as "payout currency per one CNH" (the
direction every conversion here takes). A producer may quote either direction: CNH/USD 0.1389
is taken as is, USD/CNH 7.2 is inverted (rounded half-even to `BOOK_DIGITS` fraction digits;
it is a reference mid, and the customer's rate is derived from it and disclosed exactly).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from schemas.money import EXPONENTS, PAR_CURRENCY
from schemas.rates import MAX_FRACTION_DIGITS, CurrencyPair, rate_decimal

BOOK_DIGITS = MAX_FRACTION_DIGITS
"""Fraction digits of an inverted mid; a rate string allows no more."""
_QUANTUM = Decimal(1).scaleb(-BOOK_DIGITS)
_DIVIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class BookRate:
    """The mid for one payout currency, as the book keeps it."""

    currency: str
    per_cnh: Decimal
    as_of: dt.datetime


@dataclass(frozen=True, slots=True)
class BookEntry:
    """A book rate with the recorded update that set it (a quote names the update it was
    priced at)."""

    rate: BookRate
    update_id: int


@dataclass(frozen=True, slots=True)
class RateUpdate:
    """A reference rate as recorded, whatever became of it: `refusal` is None for one
    accepted into the book, else (reason, detail), reason "held" for one held for review."""

    pair: str
    mid: str
    rate: BookRate
    source: str
    message_id: uuid.UUID | None = None
    """The fx.rates message; none for a seed or an operator's release."""
    refusal: tuple[str, str] | None = None


def plain(value: Decimal) -> str:
    """A book value as a rate string (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class RateBounds:
    max_jump_bps: int
    """A fresh rate may move at most this much (basis points of the current mid)."""
    max_future_s: float
    """Producer clocks may run ahead by this much; beyond it a rate is refused."""
    max_age_s: float
    """Older rates are never quoted; a stale current rate no longer bounds the next one."""


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str
    detail: str


def payout_currency(pair: CurrencyPair) -> str | Refused:
    """The payout currency a pair prices against CNH, or why the book cannot use it."""
    if pair.base == PAR_CURRENCY and pair.quote != PAR_CURRENCY:
        currency = pair.quote
    elif pair.quote == PAR_CURRENCY:
        currency = pair.base
    else:
        return Refused("unsupported_pair", f"{pair} does not price CNH")
    if currency not in EXPONENTS or currency.startswith("X"):
        return Refused("unsupported_pair", f"{pair}: {currency} is not a payout currency")
    return currency


def per_cnh(pair: CurrencyPair, mid: str) -> Decimal:
    """The mid of `pair` as payout currency per one CNH."""
    value = rate_decimal(mid)
    if pair.base == PAR_CURRENCY:
        return value
    inverted = _DIVIDE.divide(Decimal(1), value).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    if inverted == 0:
        raise ValueError(f"{pair} {mid}: the inverse is below {_QUANTUM}")
    return inverted


def is_stale(rate: BookRate, now: dt.datetime, max_age_s: float) -> bool:
    return (now - rate.as_of).total_seconds() > max_age_s


def judge_update(
    current: BookRate | None, candidate: BookRate, now: dt.datetime, bounds: RateBounds
) -> Refused | None:
    """None when `candidate` may replace `current`; else why not.

    Refused: a rate not newer than the current one (out of order or repeated), a rate from
    the future, and a jump beyond the band. The band applies only while the current rate is
    fresh: a stale book must be able to recover from the feed, whatever the market did.
    """
    if (candidate.as_of - now).total_seconds() > bounds.max_future_s:
        return Refused("future", f"as_of {candidate.as_of.isoformat()} is ahead of {now}")
    if current is None:
        return None
    if candidate.as_of <= current.as_of:
        return Refused(
            "not_newer",
            f"as_of {candidate.as_of.isoformat()} is not after {current.as_of.isoformat()}",
        )
    if is_stale(current, now, bounds.max_age_s):
        return None
    jump_bps = abs(candidate.per_cnh - current.per_cnh) * 10_000 / current.per_cnh
    if jump_bps > bounds.max_jump_bps:
        return Refused(
            "jump",
            f"{candidate.currency} {current.per_cnh} -> {candidate.per_cnh}: "
            f"{jump_bps:.1f} bps exceeds {bounds.max_jump_bps} bps",
        )
    return None


def parse_seed(text: str) -> list[tuple[CurrencyPair, str]]:
    """`"CNH/USD=0.1389,CNH/HKD=1.0850"` -> pairs and mids; ValueError on anything else."""
    seeds: list[tuple[CurrencyPair, str]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, mid = item.partition("=")
        base, slash, quote = name.strip().partition("/")
        if not sep or not slash:
            raise ValueError(f"seed rate {item!r}: expected BASE/QUOTE=MID")
        pair = CurrencyPair(base=base, quote=quote)
        currency = payout_currency(pair)
        if isinstance(currency, Refused):
            raise ValueError(f"seed rate {item!r}: {currency.detail}")
        per_cnh(pair, mid.strip())  # validates the mid
        seeds.append((pair, mid.strip()))
    return seeds
