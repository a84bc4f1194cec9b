"""The amounts the demo, the bench and the tests write: exact, or refused."""

from __future__ import annotations

import pytest

from clients.money import cnh, money, tokens


def test_a_decimal_amount_is_read_in_the_currencys_major_unit() -> None:
    assert cnh("12.34").amount_minor == 1_234
    assert tokens("10.00").amount_minor == 10_000_000
    assert money("1500", "JPY").amount_minor == 1_500


def test_an_int_is_minor_units() -> None:
    assert cnh(5).amount_minor == 5
    assert tokens(5).currency == "XCNH"


@pytest.mark.parametrize(("amount", "currency"), [("1.234", "CNH"), ("0.0000001", "XCNH")])
def test_more_digits_than_the_currency_has_are_refused_not_cut(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="more digits than the currency"):
        money(amount, currency)
