"""Quote arithmetic: the customer never gets more than quoted; every fraction is accounted."""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal, Inexact, Rounded

from hypothesis import given
from hypothesis import strategies as st

from schemas.money import Money, exponent
from schemas.rates import rate_decimal
from services.fx.domain.ledger import market_move_movements
from services.fx.domain.pricing import Pricing, PricingTerms, expiry, honour, price, reprice
from services.fx.domain.rates import Refused
from tests.unit.fx.books import balances
from tests.unit.fx.strategies import PAYOUT_CURRENCIES, cnh_amounts, mids, rate_strings, terms

EXACT = Context(prec=60, traps=[Inexact, Rounded])


def _priced(sell: Money, currency: str, mid: Decimal, t: PricingTerms) -> Pricing | None:
    result = price(sell, currency, mid, t)
    if isinstance(result, Refused):
        assert result.reason == "too_small"
        return None
    return result


@given(cnh_amounts(), st.sampled_from(PAYOUT_CURRENCIES), mids(), terms())
def test_paid_plus_remainder_is_exactly_the_net_at_the_quoted_rate(
    sell: Money, currency: str, mid: Decimal, t: PricingTerms
) -> None:
    p = _priced(sell, currency, mid, t)
    if p is None:
        return
    rate = rate_decimal(p.rate)
    exact = EXACT.multiply(p.net.to_decimal(), rate)
    assert p.fee.amount_minor + p.net.amount_minor == sell.amount_minor
    assert EXACT.add(p.buy.to_decimal(), p.remainder) == exact
    assert 0 <= p.remainder < Decimal(1).scaleb(-exponent(currency))
    assert p.buy.to_decimal() <= exact  # never more than the quoted rate gives
    assert rate <= mid  # selling CNH: the customer's rate is never better than the mid
    # what the provider delivers at the mid is exactly payout + remainder + spread
    from_provider = EXACT.multiply(p.net.to_decimal(), p.mid)
    assert EXACT.add(EXACT.add(p.buy.to_decimal(), p.remainder), p.spread) == from_provider


@given(cnh_amounts(), st.sampled_from(PAYOUT_CURRENCIES), mids(), terms())
def test_the_fee_is_disclosed_bounded_and_never_rounded_against_the_customer(
    sell: Money, currency: str, mid: Decimal, t: PricingTerms
) -> None:
    p = _priced(sell, currency, mid, t)
    if p is None:
        return
    proportional = Decimal(sell.amount_minor) * t.fee_bps / 10_000
    assert p.fee.amount_minor == max(int(proportional), t.fee_min_minor)
    assert p.fee.amount_minor <= max(proportional, Decimal(t.fee_min_minor))


def test_a_worked_example() -> None:
    sell = Money(amount_minor=1_000_000, currency="CNH")
    p = price(sell, "USD", Decimal("0.1389"), PricingTerms(30, 10, 100))
    assert not isinstance(p, Refused)
    assert (p.rate, p.fee.amount_minor, p.buy.amount_minor) == ("0.1384833", 1000, 138344)
    assert p.remainder == Decimal("0.008167")


def test_amounts_that_buy_nothing_are_too_small() -> None:
    terms_ = PricingTerms(30, 10, 100)
    fee_eats_all = price(Money(amount_minor=100, currency="CNH"), "USD", Decimal("0.14"), terms_)
    no_cent = price(Money(amount_minor=105, currency="CNH"), "USD", Decimal("0.14"), terms_)
    assert isinstance(fee_eats_all, Refused)
    assert fee_eats_all.reason == "too_small"
    assert isinstance(no_cent, Refused)
    assert no_cent.reason == "too_small"


@given(st.integers(min_value=1, max_value=3_600) | st.none())
def test_the_server_caps_the_quote_lifetime(requested: int | None) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    expires = expiry(now, requested, default_s=30, max_s=120)
    assert now < expires <= now + dt.timedelta(seconds=120)
    if requested is None:
        assert expires == now + dt.timedelta(seconds=30)


@given(cnh_amounts(), rate_strings(), rate_strings(), st.sampled_from(PAYOUT_CURRENCIES))
def test_a_reversal_loss_covers_the_whole_market_move_within_a_fen(
    net: Money, executed: str, market: str, currency: str
) -> None:
    executed_mid, market_mid = rate_decimal(executed), rate_decimal(market)
    result = reprice(net, executed_mid, market_mid, currency)
    move_x = EXACT.multiply(net.to_decimal(), EXACT.subtract(market_mid, executed_mid))
    loss, gain = result.loss.to_decimal(), result.gain.to_decimal()
    assert (result.loss.currency, result.gain.currency) == ("CNH", currency)
    assert loss == 0 or gain == 0
    if move_x > 0:  # short: the issuer pays the CNH its holding no longer buys
        exact_cnh = Context(prec=80).divide(move_x, market_mid)
        assert exact_cnh <= loss < exact_cnh + Decimal("0.01")  # the issuer bears all of it
        assert loss <= net.to_decimal()
        assert gain == 0
    else:  # over: the issuer keeps the surplus in the currency it holds, rounded down
        unit = Decimal(1).scaleb(-exponent(currency))
        assert loss == 0
        assert -move_x - unit < gain <= -move_x
        assert gain <= EXACT.multiply(net.to_decimal(), executed_mid)


# --- a quote honoured after its expiry --------------------------------------------------


@given(
    sell=st.integers(min_value=10_000, max_value=10**12),
    quoted=mids(),
    move_bps=st.integers(min_value=-5_000, max_value=5_000),
)
def test_honouring_a_late_quote_costs_the_issuer_what_the_market_moved_never_the_customer(
    sell: int, quoted: Decimal, move_bps: int
) -> None:
    # the book's rate review holds a rate that walks far from its window: up to 50 % here
    market = quoted * (10_000 + move_bps) / 10_000
    net = Money(amount_minor=sell, currency="CNH")
    result = honour(net, quoted, market, "USD")
    owed = net.to_decimal() * quoted  # what the quote booked from the provider
    delivered = net.to_decimal() * market
    if market < quoted:
        assert result.gain.amount_minor == 0
        # the issuer's extra CNH buys at least the shortfall at the market, within a fen
        bought = result.loss.to_decimal() * market
        assert bought >= owed - delivered
        assert (result.loss.to_decimal() - Decimal("0.01")) * market < owed - delivered
    else:
        assert result.loss.amount_minor == 0
        surplus = delivered - owed
        assert result.gain.to_decimal() <= surplus < result.gain.to_decimal() + Decimal("0.01")


def test_an_unmoved_market_moves_nothing() -> None:
    net = Money(amount_minor=1_000_000, currency="CNH")
    result = honour(net, Decimal("0.1389"), Decimal("0.1389"), "USD")
    assert (result.loss.amount_minor, result.gain.amount_minor) == (0, 0)
    assert market_move_movements(result) == []


def test_a_late_quotes_market_move_balances_per_currency() -> None:
    net = Money(amount_minor=1_000_000, currency="CNH")
    for market in (Decimal("0.1300"), Decimal("0.1500")):
        movements = market_move_movements(honour(net, Decimal("0.1389"), market, "USD"))
        assert len(movements) == 1
        assert sum(balances(movements).values()) == 0
