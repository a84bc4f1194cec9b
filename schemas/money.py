"""Money on the wire: integer minor units plus a currency code, never a float.

Rounding is always explicit. A customer payout rounds DOWN (the customer never receives more
than the exact value), and the remainder that `from_decimal` returns is booked to the rounding
account, so every minor unit stays accounted for.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Context, Decimal, Inexact, InvalidOperation, Rounded
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import AfterValidator, Field, Strict, StringConstraints, WithJsonSchema

from schemas.message import Struct

TOKEN = "XCNH"
"""The stablecoin itself: "X" + code is the ISO 4217 convention for non-national units."""

EXPONENTS: MappingProxyType[str, int] = MappingProxyType(
    {
        "AUD": 2,
        "CHF": 2,
        "CNH": 2,  # offshore yuan: not in ISO 4217, but the market's code for it
        "CNY": 2,
        "EUR": 2,
        "GBP": 2,
        "HKD": 2,
        "JPY": 0,
        "SGD": 2,
        "USD": 2,
        TOKEN: 6,
    }
)
"""Minor-unit digits of every currency the platform may hold or pay out."""

MAX_MINOR_UNITS = 10**18
"""Far above any real amount (10^12 tokens), and still an exact int64 for the database."""

PRECISION = 50
"""Decimal digits of every computation: amounts (19 digits) times rates (24 digits) fit."""

_CONTEXT = Context(prec=PRECISION, rounding=ROUND_DOWN, traps=[InvalidOperation])
# For results that must be exact: losing a digit raises instead of rounding silently.
_EXACT = Context(prec=PRECISION, traps=[InvalidOperation, Inexact, Rounded])


def _known_currency(code: str) -> str:
    if code not in EXPONENTS:
        raise ValueError("unknown currency code")  # no echo: the detail reaches senders
    return code


CurrencyCode = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=3, max_length=4, pattern=r"^[A-Z]{3,4}$"),
    AfterValidator(_known_currency),
    # The enum makes the snapshot record the accepted codes: dropping one is a breaking change.
    WithJsonSchema({"type": "string", "pattern": r"^[A-Z]{3,4}$", "enum": sorted(EXPONENTS)}),
]
"""A currency of `EXPONENTS` (upper case, exact)."""

MinorUnits = Annotated[int, Strict(), Field(ge=0, le=MAX_MINOR_UNITS)]
"""A non-negative amount in minor units: a JSON integer, never a float, string or bool."""


class CurrencyMismatchError(ValueError):
    """Arithmetic between two currencies: a conversion needs a rate (see schemas.rates)."""


def exponent(currency: str) -> int:
    """The minor-unit digits of `currency`; ValueError if the platform does not know it."""
    try:
        return EXPONENTS[currency]
    except (KeyError, TypeError):
        raise ValueError("unknown currency code") from None


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    """The exact decimal value of an amount, e.g. 12345 USD -> Decimal("123.45")."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("minor units are an int")
    if not 0 <= amount_minor <= MAX_MINOR_UNITS:
        raise ValueError(f"minor units must be in 0..{MAX_MINOR_UNITS}")
    return _EXACT.scaleb(Decimal(amount_minor), -exponent(currency))


def decimal_to_minor(
    value: Decimal, currency: str, rounding: str = ROUND_DOWN
) -> tuple[int, Decimal]:
    """`value` in minor units of `currency`, rounded by `rounding`, and the exact remainder.

    `value == minor_to_decimal(amount, currency) + remainder` holds exactly; with ROUND_DOWN
    the remainder is never negative. Floats, NaN, infinities, negative values, amounts above
    `MAX_MINOR_UNITS` and values needing more than `PRECISION` digits are refused.
    """
    if not isinstance(value, Decimal):
        raise TypeError("money is computed from Decimal, never float or int")
    if not value.is_finite():
        raise ValueError("not a finite number")
    if value < 0:
        raise ValueError("money cannot be negative")
    quantum = Decimal(1).scaleb(-exponent(currency))
    try:
        rounded = value.quantize(quantum, rounding=rounding, context=_CONTEXT)
        remainder = _EXACT.subtract(value, rounded)
        amount = int(_EXACT.scaleb(rounded, exponent(currency)))
    except (InvalidOperation, Inexact, Rounded):
        raise ValueError(f"the value needs more than {PRECISION} digits") from None
    if amount > MAX_MINOR_UNITS:
        raise ValueError(f"more than {MAX_MINOR_UNITS} minor units")
    return amount, remainder


class Money(Struct):
    """An amount of one currency; arithmetic only within the same currency."""

    amount_minor: MinorUnits
    currency: CurrencyCode

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount_minor=0, currency=currency)

    @classmethod
    def from_decimal(
        cls, value: Decimal, currency: str, rounding: str = ROUND_DOWN
    ) -> tuple[Self, Decimal]:
        """The money for `value` and the remainder for the rounding account.

        Customer payouts keep the default ROUND_DOWN: the remainder is then never negative.
        """
        amount, remainder = decimal_to_minor(value, currency, rounding)
        return cls(amount_minor=amount, currency=currency), remainder

    def to_decimal(self) -> Decimal:
        return minor_to_decimal(self.amount_minor, self.currency)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented  # Money + 1 is a TypeError, not a guess
        self._same_currency(other)
        return Money(amount_minor=self.amount_minor + other.amount_minor, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        if other.amount_minor > self.amount_minor:
            raise ValueError(f"{self.currency} subtraction below zero")
        return Money(amount_minor=self.amount_minor - other.amount_minor, currency=self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.to_decimal():f} {self.currency}"


# --- par: one token is one CNH ---------------------------------------------------------

PAR_CURRENCY = "CNH"
_TOKEN_MINOR_PER_FEN = 10 ** (EXPONENTS[TOKEN] - EXPONENTS[PAR_CURRENCY])


def _is_token(money: Money) -> Money:
    if money.currency != TOKEN:
        raise ValueError(f"a token amount is in {TOKEN}")
    return money


def _is_par_currency(money: Money) -> Money:
    if money.currency != PAR_CURRENCY:
        raise ValueError(f"a reserve amount is in {PAR_CURRENCY}")
    return money


TokenAmount = Annotated[Money, AfterValidator(_is_token)]
"""An amount of the stablecoin (XCNH, 6 decimals)."""

CnhAmount = Annotated[Money, AfterValidator(_is_par_currency)]
"""An amount of offshore yuan (CNH, 2 decimals): what backs the tokens."""


def par_cnh(tokens: Money) -> Money:
    """The CNH that `tokens` redeem for at par. Only whole fen redeem: a token amount with
    dust below 0.01 CNH is refused rather than rounded (no value appears or vanishes)."""
    _is_token(tokens)
    fen, dust = divmod(tokens.amount_minor, _TOKEN_MINOR_PER_FEN)
    if dust:
        raise ValueError(f"{tokens} is not a whole number of fen (0.01 CNH)")
    return Money(amount_minor=fen, currency=PAR_CURRENCY)


def par_tokens(cnh: Money) -> Money:
    """The tokens that `cnh` mints at par."""
    _is_par_currency(cnh)
    return Money(amount_minor=cnh.amount_minor * _TOKEN_MINOR_PER_FEN, currency=TOKEN)
