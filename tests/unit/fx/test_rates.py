"""The rate book's rules: what is accepted, what is refused, and when a rate is stale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from schemas.rates import CurrencyPair
from services.fx.domain.rates import (
    BookRate,
    RateBounds,
    Refused,
    is_stale,
    judge_update,
    parse_seed,
    payout_currency,
    per_cnh,
)
from services.fx.settings import FxSettings, parse_limits

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BOUNDS = RateBounds(max_jump_bps=500, max_future_s=5, max_age_s=60)
CURRENT = BookRate("USD", Decimal("0.1389"), NOW - dt.timedelta(seconds=10))


def at(seconds: float, value: str) -> BookRate:
    return BookRate("USD", Decimal(value), NOW + dt.timedelta(seconds=seconds))


def reason(refusal: Refused | None) -> str | None:
    return refusal.reason if refusal else None


def test_a_newer_rate_within_the_band_is_accepted() -> None:
    assert judge_update(CURRENT, at(0, "0.1420"), NOW, BOUNDS) is None
    assert judge_update(None, at(0, "0.1420"), NOW, BOUNDS) is None


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (at(-10, "0.1390"), "not_newer"),
        (at(-20, "0.1390"), "not_newer"),
        (at(6, "0.1390"), "future"),
        (at(0, "0.1500"), "jump"),
        (at(0, "0.1300"), "jump"),
    ],
)
def test_nonsense_is_refused(candidate: BookRate, expected: str) -> None:
    assert reason(judge_update(CURRENT, candidate, NOW, BOUNDS)) == expected


def test_a_stale_book_recovers_from_the_feed_whatever_the_jump() -> None:
    old = BookRate("USD", Decimal("0.1389"), NOW - dt.timedelta(seconds=61))
    assert is_stale(old, NOW, 60)
    assert not is_stale(CURRENT, NOW, 60)
    assert judge_update(old, at(0, "0.2000"), NOW, BOUNDS) is None


def test_both_directions_of_a_pair_price_the_payout_currency() -> None:
    usd_cnh = CurrencyPair(base="USD", quote="CNH")
    assert payout_currency(usd_cnh) == "USD"
    assert per_cnh(usd_cnh, "8") == Decimal("0.125")
    assert per_cnh(CurrencyPair(base="CNH", quote="HKD"), "1.0850") == Decimal("1.0850")
    refused = payout_currency(CurrencyPair(base="USD", quote="HKD"))
    assert isinstance(refused, Refused)
    assert refused.reason == "unsupported_pair"
    token = payout_currency(CurrencyPair(base="CNH", quote="XCNH"))
    assert isinstance(token, Refused)


def test_the_seed_and_limits_are_parsed_strictly() -> None:
    seeds = parse_seed(FxSettings(service="fx").fx_seed_rates)
    assert {str(pair) for pair, _ in seeds} >= {"CNH/USD", "CNH/HKD", "CNH/EUR"}
    assert parse_limits("USD=200.00, JPY=5") == {"USD": 20_000, "JPY": 5}
    for bad_seed in ("CNH/USD=1e-1", "CNH/USD", "USD/HKD=7.8", "CNH/USD=-1"):
        with pytest.raises(ValueError, match=r"seed rate|rate|digits"):
            parse_seed(bad_seed)
    for bad_limit in ("USD=1.001", "USD", "ABC=1", "USD=1e6"):
        with pytest.raises(ValueError, match=r"amount|CURRENCY=AMOUNT|minor units"):
            parse_limits(bad_limit)
