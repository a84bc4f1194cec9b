"""What the books can take from a bank credit."""

from __future__ import annotations

import pytest

from schemas import Money
from schemas.money import MAX_MINOR_UNITS, par_tokens
from services.settlement.domain.deposits import MAX_RESERVE_MINOR, refusal


def cnh(minor: int) -> Money:
    return Money(amount_minor=minor, currency="CNH")


@pytest.mark.parametrize(
    ("amount", "reserve", "expected"),
    [
        (0, 0, "zero_amount"),
        (1, 0, None),
        (MAX_RESERVE_MINOR, 0, None),
        (MAX_RESERVE_MINOR - 5, 5, None),
        (MAX_RESERVE_MINOR - 5, 6, "over_reserve_limit"),
        (MAX_MINOR_UNITS, 0, "over_reserve_limit"),  # schema-valid, the bound itself
    ],
)
def test_a_credit_is_booked_only_within_the_reserve_limit(
    amount: int, reserve: int, expected: str | None
) -> None:
    assert refusal(cnh(amount), reserve) == expected


def test_what_the_reserve_limit_allows_stays_within_the_amount_bound() -> None:
    # the whole reserve minted at par is still a token amount
    assert par_tokens(cnh(MAX_RESERVE_MINOR)).amount_minor == MAX_MINOR_UNITS
