"""The journal: execute + reverse nets to zero per account, except the market result."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from schemas.money import Money
from services.fx.domain.ledger import (
    Account,
    Movement,
    Trade,
    reversal_movements,
    trade_movements,
)
from services.fx.domain.pricing import Pricing, price, reprice
from services.fx.domain.quotes import Quote
from services.fx.domain.rates import Refused
from tests.support.work import T0
from tests.unit.fx.books import balances
from tests.unit.fx.strategies import PAYOUT_CURRENCIES, cnh_amounts, mids, terms

TRADES = st.builds(
    lambda sell, currency, mid, t: price(sell, currency, mid, t),
    cnh_amounts(),
    st.sampled_from(PAYOUT_CURRENCIES),
    mids(),
    terms(),
).filter(lambda p: not isinstance(p, Refused))


def trade_of(p: Pricing) -> Trade:
    """The trade of a quote issued for `p`, as FX books it on execution."""
    return Quote.priced(p, uuid.uuid4(), uuid.uuid4(), T0).trade


def _per_currency_sums(movements: list[Movement]) -> set[Decimal]:
    sums: dict[str, Decimal] = {}
    for (_, currency), value in balances(movements).items():
        sums[currency] = sums.get(currency, Decimal(0)) + value
    return set(sums.values())


@given(TRADES)
def test_the_customer_is_credited_exactly_the_quoted_payout(p: Pricing) -> None:
    movements = trade_movements(trade_of(p))
    book = balances(movements)
    assert book[(Account.CUSTOMER_CLEARING, p.buy.currency)] == p.buy.to_decimal()
    assert book[(Account.CUSTOMER_CLEARING, "CNH")] == -p.sell.to_decimal()
    assert book.get((Account.FEES, "CNH"), 0) == p.fee.to_decimal()
    assert _per_currency_sums(movements) == {Decimal(0)}  # double entry per currency


# The market at reversal time: from half to double the trade's mid, far beyond a real move
# between a conversion and its compensation (and the book refuses jumps beyond its band).
MOVES = st.integers(min_value=5_000, max_value=20_000)


@given(TRADES, MOVES)
def test_execute_then_reverse_nets_to_zero_but_the_market_result(p: Pricing, move: int) -> None:
    market_mid = max((p.mid * move / 10_000).quantize(Decimal("1e-12")), Decimal("1e-12"))
    trade = trade_of(p)
    market = reprice(p.net, p.mid, market_mid, p.buy.currency)
    movements = trade_movements(trade) + reversal_movements(trade, market)
    book = balances(movements)
    loss, gain = market.loss.to_decimal(), market.gain.to_decimal()
    expected = {  # a loss is paid in CNH, a gain kept in the payout currency
        (Account.ISSUER_PNL, "CNH"): -loss,
        (Account.LIQUIDITY_PROVIDER, "CNH"): loss,
        (Account.ISSUER_PNL, p.buy.currency): gain,
        (Account.LIQUIDITY_PROVIDER, p.buy.currency): -gain,
    }
    for key, value in book.items():
        assert value == expected.get(key, Decimal(0)), key
    # the customer's side: returned == sold, payout given back in full
    returned = sum(
        m.amount
        for m in reversal_movements(trade, market)
        if m.destination == Account.CUSTOMER_CLEARING and m.currency == "CNH"
    )
    assert returned == p.sell.to_decimal()
    assert _per_currency_sums(movements) == {Decimal(0)}


@given(st.lists(TRADES, min_size=1, max_size=20))
def test_rounding_remainders_add_up(trades: list[Pricing]) -> None:
    movements = [m for p in trades for m in trade_movements(trade_of(p))]
    book = balances(movements)
    for currency in {p.buy.currency for p in trades}:
        mine = [p for p in trades if p.buy.currency == currency]
        rounding = book.get((Account.ROUNDING, currency), Decimal(0))
        assert rounding == sum((p.remainder for p in mine), Decimal(0))
        assert 0 <= rounding < len(mine) * Money(amount_minor=1, currency=currency).to_decimal()
        paid = book[(Account.CUSTOMER_CLEARING, currency)]
        assert paid == sum((p.buy.to_decimal() for p in mine), Decimal(0))
