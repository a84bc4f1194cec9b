"""FX rates: strict decimal strings, strictly positive; conversions round down explicitly."""

from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.message import Struct
from schemas.money import EXPONENTS, MAX_MINOR_UNITS, Money, exponent
from schemas.rates import (
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    CurrencyPair,
    RateStr,
    convert,
    rate_decimal,
)

RATE = TypeAdapter(RateStr)


class Quote(Struct):
    """A message-like holder, to test the rate inside a strict model."""

    pair: CurrencyPair
    rate: RateStr


@st.composite
def rate_strings(draw: st.DrawFn) -> str:
    """Valid rates: canonical integer part, optional fraction, strictly positive."""
    integer = draw(st.integers(min_value=0, max_value=10**MAX_INTEGER_DIGITS - 1))
    fraction = draw(st.text(alphabet="0123456789", min_size=0, max_size=MAX_FRACTION_DIGITS))
    if integer == 0 and fraction.strip("0") == "":
        fraction = fraction[:-1] + "1" if fraction else "1"
    return f"{integer}.{fraction}" if fraction else str(integer)


currencies = st.sampled_from(sorted(EXPONENTS))
pairs = st.tuples(currencies, currencies).filter(lambda p: p[0] != p[1])


@pytest.mark.parametrize("text", ["7.1234", "0.1389", "7", "1", "0.000000000001", "10.5"])
def test_valid_rates(text: str) -> None:
    assert RATE.validate_json(json.dumps(text)) == text
    assert rate_decimal(text) == Decimal(text)


def test_longest_rate() -> None:
    text = "9" * MAX_INTEGER_DIGITS + "." + "9" * MAX_FRACTION_DIGITS
    assert RATE.validate_python(text) == text
    assert str(rate_decimal(text)) == text


@given(text=rate_strings())
def test_generated_rates_round_trip(text: str) -> None:
    assert RATE.validate_json(json.dumps(text)) == text
    value = rate_decimal(text)
    assert value > 0
    assert str(value) == text  # the string is the exact value, no normalisation


@given(text=rate_strings(), pair=pairs)
def test_quote_json_round_trip(text: str, pair: tuple[str, str]) -> None:
    quote = Quote(pair=CurrencyPair(base=pair[0], quote=pair[1]), rate=text)
    assert Quote.model_validate_json(quote.model_dump_json()) == quote


HOSTILE_RATES = [
    "0",
    "0.0",
    "0.000",
    "00.1",
    "01",
    "007.1",
    "-7.1",
    "+7.1",
    "7.",
    ".5",
    "7,1",
    "1E+2",
    "1e3",
    "7.1e0",
    "1_000",
    "7.1_2",
    " 7.1",
    "7.1 ",
    "7 .1",
    "7.1\n",
    "\n7.1",
    "NaN",
    "nan",
    "Infinity",
    "inf",
    "",
    "\u0663",  # an Arabic-Indic three: Decimal() accepts it, the pattern must not
    "\uff17.1",  # a full-width seven
    "1" * (MAX_INTEGER_DIGITS + 1),
    "1." + "1" * (MAX_FRACTION_DIGITS + 1),
    "1" * 10_000,
    "0x10",
    "7.1.2",
]


@pytest.mark.parametrize("text", HOSTILE_RATES)
def test_hostile_rate_strings_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        RATE.validate_json(json.dumps(text))
    with pytest.raises(ValidationError):
        RATE.validate_python(text)
    with pytest.raises(ValueError, match="rate"):
        rate_decimal(text)


@pytest.mark.parametrize("raw", ["7.1234", "7", "1e3", "0", "true", "null", '["7.1"]', "NaN"])
def test_json_numbers_and_other_types_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        RATE.validate_json(raw)


@pytest.mark.parametrize("value", [7.1234, 7, Decimal("7.1"), True, b"7.1"])
def test_python_non_strings_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        RATE.validate_python(value)


@given(text=st.text(max_size=30))
def test_rate_pattern_agrees_with_a_reference_parser(text: str) -> None:
    """Whatever the text, the validator accepts exactly the canonical positive decimals."""
    reference = re.fullmatch(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,12})?", text, flags=re.ASCII)
    valid = reference is not None and Decimal(text) > 0
    try:
        RATE.validate_python(text)
    except ValidationError:
        assert not valid
    else:
        assert valid


def test_currency_pair() -> None:
    pair = CurrencyPair(base="USD", quote="CNH")
    assert str(pair) == "USD/CNH"
    with pytest.raises(ValidationError, match="differ"):
        CurrencyPair(base="USD", quote="USD")
    with pytest.raises(ValidationError):
        CurrencyPair.model_validate_json('{"base": "usd", "quote": "CNH"}')
    with pytest.raises(ValidationError):
        CurrencyPair.model_validate_json('{"base": "USD", "quote": "CNH", "inverse": true}')


def test_convert_rounds_down_and_returns_the_remainder() -> None:
    tokens = Money(amount_minor=1_000_000_123, currency="XCNH")  # 1000.000123 XCNH
    usd, remainder = convert(tokens, CurrencyPair(base="XCNH", quote="USD"), "0.1389")
    assert usd == Money(amount_minor=13890, currency="USD")  # 138.90 USD, rounded down
    assert remainder == Decimal("0.0000170847")


def test_convert_refuses_the_wrong_currency_and_bad_rates() -> None:
    pair = CurrencyPair(base="USD", quote="CNH")
    with pytest.raises(ValueError, match="converts USD"):
        convert(Money(amount_minor=1, currency="HKD"), pair, "7.1")
    with pytest.raises(ValueError, match="rate"):
        convert(Money(amount_minor=1, currency="USD"), pair, "1e3")


@given(
    amount=st.integers(min_value=0, max_value=MAX_MINOR_UNITS // 10**8),
    rate=rate_strings(),
    pair=pairs,
)
def test_convert_is_exact_up_to_the_remainder(
    amount: int, rate: str, pair: tuple[str, str]
) -> None:
    source = Money(amount_minor=amount, currency=pair[0])
    convert_pair = CurrencyPair(base=pair[0], quote=pair[1])
    with localcontext(prec=100):
        exact = source.to_decimal() * Decimal(rate)
        if exact.scaleb(exponent(pair[1])) >= MAX_MINOR_UNITS + 1:
            with pytest.raises(ValueError, match="minor units"):  # refused, never clipped
                convert(source, convert_pair, rate)
            return
        target, remainder = convert(source, convert_pair, rate)
        assert target.to_decimal() + remainder == exact
    assert 0 <= remainder < Decimal(1).scaleb(-exponent(pair[1]))
