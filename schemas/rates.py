"""FX rates on the wire: decimal strings matched by a strict pattern.

A JSON number would go through a float somewhere; pydantic's Decimal accepts exponents,
underscores and spaces. A rate is therefore a plain string such as "7.1234", checked here.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Context, Decimal, Inexact, InvalidOperation, Rounded
from typing import Annotated, Self

from pydantic import AfterValidator, Strict, StringConstraints, model_validator

from schemas.message import Struct
from schemas.money import PRECISION, CurrencyCode, Money, decimal_to_minor

MAX_INTEGER_DIGITS = 12
MAX_FRACTION_DIGITS = 12
_BODY = rf"(?:0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}})(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?"
RATE_PATTERN = rf"^{_BODY}$"
"""Digits with an optional fraction: no sign, exponent, underscore, space or leading zero."""
_RATE_RE = re.compile(_BODY, re.ASCII)
_MAX_RATE_CHARS = MAX_INTEGER_DIGITS + 1 + MAX_FRACTION_DIGITS
_EXACT = Context(prec=PRECISION, traps=[InvalidOperation, Inexact, Rounded])


def _positive(text: str) -> str:
    if Decimal(text) == 0:
        raise ValueError("a rate must be greater than zero")
    return text


RateStr = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=_MAX_RATE_CHARS, pattern=RATE_PATTERN),
    AfterValidator(_positive),
]
"""A strictly positive decimal rate as a string, e.g. "7.1234"."""


def rate_decimal(text: str) -> Decimal:
    """The exact value of a rate string; ValueError unless it is a valid `RateStr`."""
    if not isinstance(text, str) or len(text) > _MAX_RATE_CHARS or not _RATE_RE.fullmatch(text):
        raise ValueError("not a rate: digits with an optional fraction expected")
    return Decimal(_positive(text))


class CurrencyPair(Struct):
    """`rate` units of `quote` buy one unit of `base` (USD/CNH 7.1234: 1 USD = 7.1234 CNH)."""

    base: CurrencyCode
    quote: CurrencyCode

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.base == self.quote:
            raise ValueError("base and quote must differ")
        return self

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"


def convert(
    amount: Money, pair: CurrencyPair, rate: str, rounding: str = ROUND_DOWN
) -> tuple[Money, Decimal]:
    """`amount` of `pair.base` in `pair.quote` at `rate`, and the remainder (in quote units).

    The product is exact (19 + 24 digits fit the precision); only the final rounding to minor
    units loses anything, and that remainder goes to the rounding account.
    """
    if amount.currency != pair.base:
        raise ValueError(f"{pair} converts {pair.base}, not {amount.currency}")
    value = _EXACT.multiply(amount.to_decimal(), rate_decimal(rate))
    minor, remainder = decimal_to_minor(value, pair.quote, rounding)
    return Money(amount_minor=minor, currency=pair.quote), remainder
