"""Amounts as people write them, for the demo, the bench and the tests alike: an int is minor
units, a str a decimal amount in the currency's major unit ("12.34" CNH is 1,234 fen). An
amount with more digits than the currency is refused, never cut: a journey must move exactly
what it says."""

from __future__ import annotations

from decimal import Decimal

from schemas.money import PAR_CURRENCY, TOKEN, Money


def money(amount: int | str, currency: str) -> Money:
    if isinstance(amount, int):
        return Money(amount_minor=amount, currency=currency)
    exact, remainder = Money.from_decimal(Decimal(amount), currency)
    if remainder:
        raise ValueError(f"{amount} {currency} has more digits than the currency")
    return exact


def cnh(amount: int | str) -> Money:
    return money(amount, PAR_CURRENCY)


def tokens(amount: int | str) -> Money:
    return money(amount, TOKEN)
