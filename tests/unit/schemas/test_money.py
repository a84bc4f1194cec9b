"""Money: integer minor units, known currencies, explicit rounding, hostile input refused."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.money import (
    EXPONENTS,
    MAX_MINOR_UNITS,
    TOKEN,
    CurrencyCode,
    CurrencyMismatchError,
    MinorUnits,
    Money,
    decimal_to_minor,
    exponent,
    minor_to_decimal,
)

currencies = st.sampled_from(sorted(EXPONENTS))
minor_units = st.integers(min_value=0, max_value=MAX_MINOR_UNITS)
moneys = st.builds(Money, amount_minor=minor_units, currency=currencies)


@st.composite
def decimal_amounts(draw: st.DrawFn, currency: str) -> Decimal:
    """A non-negative decimal within range, with up to 20 more fraction digits than minor units."""
    places = exponent(currency) + draw(st.integers(min_value=0, max_value=20))
    extra = places - exponent(currency)
    scaled = draw(st.integers(min_value=0, max_value=MAX_MINOR_UNITS * 10**extra))
    return Decimal(f"{scaled}E-{places}")  # the constructor is exact, whatever the context


def test_exponents_of_the_platform_currencies() -> None:
    assert TOKEN == "XCNH"
    assert exponent(TOKEN) == 6
    assert exponent("JPY") == 0
    for code in ("CNH", "CNY", "HKD", "USD", "EUR", "GBP", "SGD", "AUD", "CHF"):
        assert exponent(code) == 2
    with pytest.raises(ValueError, match="unknown currency"):
        exponent("XXX")


def test_to_decimal_is_exact() -> None:
    assert Money(amount_minor=12345, currency="USD").to_decimal() == Decimal("123.45")
    assert Money(amount_minor=1, currency=TOKEN).to_decimal() == Decimal("0.000001")
    assert Money(amount_minor=500, currency="JPY").to_decimal() == Decimal(500)
    assert minor_to_decimal(MAX_MINOR_UNITS, TOKEN) == Decimal("1000000000000")


def test_payout_rounds_down_and_books_the_remainder() -> None:
    money, remainder = Money.from_decimal(Decimal("123.456789"), "USD")
    assert money == Money(amount_minor=12345, currency="USD")
    assert remainder == Decimal("0.006789")
    # Rounding is the caller's explicit choice, never implicit.
    up, short = Money.from_decimal(Decimal("123.451"), "USD", rounding=ROUND_UP)
    assert up.amount_minor == 12346
    assert short == Decimal("-0.009")


@given(money=moneys)
def test_json_round_trip(money: Money) -> None:
    raw = money.model_dump_json()
    assert json.loads(raw) == {"amount_minor": money.amount_minor, "currency": money.currency}
    assert Money.model_validate_json(raw) == money


@given(money=moneys)
def test_decimal_round_trip(money: Money) -> None:
    assert Money.from_decimal(money.to_decimal(), money.currency) == (money, Decimal(0))


@given(data=st.data(), currency=currencies)
def test_from_decimal_reconstructs_the_value_and_never_rounds_up(
    data: st.DataObject, currency: str
) -> None:
    value = data.draw(decimal_amounts(currency))
    money, remainder = Money.from_decimal(value, currency)
    with localcontext(prec=100):  # the default 28 digits would round the sum
        assert money.to_decimal() + remainder == value  # exact: nothing lost or invented
    assert remainder >= 0
    assert remainder < Decimal(1).scaleb(-exponent(currency))  # less than one minor unit
    assert money.to_decimal() <= value


@given(data=st.data(), currency=currencies)
def test_any_rounding_reconstructs_the_value(data: st.DataObject, currency: str) -> None:
    value = data.draw(decimal_amounts(currency))
    minor, remainder = decimal_to_minor(value, currency, ROUND_HALF_EVEN)
    with localcontext(prec=100):
        assert minor_to_decimal(minor, currency) + remainder == value
    assert abs(remainder) <= Decimal(1).scaleb(-exponent(currency)) / 2


@given(a=moneys, b=minor_units)
def test_addition_and_subtraction_within_one_currency(a: Money, b: int) -> None:
    other = Money(amount_minor=min(b, MAX_MINOR_UNITS - a.amount_minor), currency=a.currency)
    total = a + other
    assert total.amount_minor == a.amount_minor + other.amount_minor
    assert total - other == a


def test_arithmetic_refuses_mixed_currencies_and_negative_results() -> None:
    usd = Money(amount_minor=100, currency="USD")
    hkd = Money(amount_minor=100, currency="HKD")
    with pytest.raises(CurrencyMismatchError, match="USD with HKD"):
        usd + hkd
    with pytest.raises(CurrencyMismatchError):
        usd - hkd
    with pytest.raises(ValueError, match="below zero"):
        usd - Money(amount_minor=101, currency="USD")
    with pytest.raises(TypeError):
        usd + 1  # type: ignore[operator]
    with pytest.raises(ValidationError):
        Money(amount_minor=MAX_MINOR_UNITS, currency="USD") + Money(amount_minor=1, currency="USD")


def test_zero() -> None:
    assert Money.zero(TOKEN) == Money(amount_minor=0, currency=TOKEN)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(Decimal("-0.01"), id="negative"),
        pytest.param(Decimal("NaN"), id="nan"),
        pytest.param(Decimal("sNaN"), id="snan"),
        pytest.param(Decimal("Infinity"), id="infinity"),
        pytest.param(Decimal("1E+100"), id="huge"),
        pytest.param(Decimal("10000000000000000.01"), id="above-max"),
        pytest.param(Decimal("0." + "1" * 60), id="too-precise"),
    ],
)
def test_from_decimal_refuses(value: Decimal) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (ValidationError is a ValueError too)
        Money.from_decimal(value, "USD")


@pytest.mark.parametrize("value", [1.5, 1, True, "1.00"])
def test_from_decimal_takes_only_decimal(value: Any) -> None:
    with pytest.raises(TypeError):
        Money.from_decimal(value, "USD")


HOSTILE_AMOUNTS = [
    pytest.param("1.0", id="json-float"),
    pytest.param("1.5", id="json-fraction"),
    pytest.param("1e3", id="json-exponent"),
    pytest.param("1E+2", id="json-exponent-upper"),
    pytest.param('"1E+2"', id="string-exponent"),
    pytest.param('"100"', id="string"),
    pytest.param('"1_000"', id="underscore"),
    pytest.param('" 1"', id="leading-space"),
    pytest.param('"1 "', id="trailing-space"),
    pytest.param("NaN", id="nan"),
    pytest.param("Infinity", id="infinity"),
    pytest.param('"nan"', id="string-nan"),
    pytest.param(str(MAX_MINOR_UNITS + 1), id="above-max"),
    pytest.param(str(10**100), id="googol"),
    pytest.param("-1", id="negative"),
    pytest.param("true", id="bool"),
    pytest.param("null", id="null"),
    pytest.param("[1]", id="array"),
]


@pytest.mark.parametrize("amount", HOSTILE_AMOUNTS)
def test_hostile_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate_json(f'{{"amount_minor": {amount}, "currency": "USD"}}')


@pytest.mark.parametrize("amount", [1.0, 1.5, True, "1", Decimal(1), -1, MAX_MINOR_UNITS + 1])
def test_hostile_python_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": amount, "currency": "USD"})
    with pytest.raises(ValidationError):
        TypeAdapter(MinorUnits).validate_python(amount)


@pytest.mark.parametrize(
    "currency",
    [
        "usd",
        "Usd",
        "XXX",
        "US",
        "USDT",
        "USD ",
        " USD",
        "U$D",
        "",
        "X" * 10_000,
        "\uff35\uff33\uff24",
    ],
)
def test_unknown_or_malformed_currencies_are_refused(currency: str) -> None:
    with pytest.raises(ValidationError):
        Money(amount_minor=1, currency=currency)
    with pytest.raises(ValidationError):
        TypeAdapter(CurrencyCode).validate_json(json.dumps(currency))


@pytest.mark.parametrize("currency", [1, None, ["USD"], b"USD"])
def test_non_string_currencies_are_refused(currency: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": 1, "currency": currency})


def test_extra_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Money.model_validate_json('{"amount_minor": 1, "currency": "USD", "note": "x"}')


@given(text=st.text(max_size=6))
def test_only_table_codes_are_currencies(text: str) -> None:
    adapter = TypeAdapter(CurrencyCode)
    if text in EXPONENTS:
        assert adapter.validate_python(text) == text
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(text)


def test_money_is_immutable() -> None:
    money = Money(amount_minor=1, currency="USD")
    with pytest.raises(ValidationError):
        money.amount_minor = 2  # type: ignore[misc]
    assert str(Money(amount_minor=1_500_000, currency=TOKEN)) == "1.500000 XCNH"


def test_remainder_never_negative_for_round_down_on_exact_grid() -> None:
    # A value exactly on the grid keeps no remainder.
    assert decimal_to_minor(Decimal("7.10"), "USD", ROUND_DOWN) == (710, Decimal(0))
