"""The trade and its reversal as linked movements: double entry per currency.

Every movement takes an exact amount of one currency from one account to another, so each
entry balances per currency by construction; an account's balance is what came in minus
what went out. Amounts are exact decimals: whole minor units everywhere except the rounding
and spread accounts, which receive the sub-minor parts of the payout currency.

Execute (selling `sell` CNH, fee `fee`, `net = sell - fee`, for X at the quote):

    customer_clearing  -> fx_fees             fee        CNH
    customer_clearing  -> liquidity_provider  net        CNH
    liquidity_provider -> customer_clearing   buy        X    (the customer's payout)
    liquidity_provider -> fx_rounding         remainder  X    (below one minor unit)
    liquidity_provider -> fx_spread           spread     X

A quote honoured after its expiry (its request arrived in time, the saga took longer) adds
the market's move since the quote, the issuer's alone (pricing.honour):

    issuer_pnl         -> liquidity_provider  loss       CNH  (the market fell)
    liquidity_provider -> issuer_pnl          gain       X    (the market rose)

Reverse (the exact reverse amounts; returned == sold):

    fx_fees            -> customer_clearing   fee        CNH
    liquidity_provider -> customer_clearing   net        CNH
    customer_clearing  -> liquidity_provider  buy        X
    fx_rounding        -> liquidity_provider  remainder  X
    fx_spread          -> liquidity_provider  spread     X
    issuer_pnl         -> liquidity_provider  loss       CNH  (re-buying the CNH cost more)
    liquidity_provider -> issuer_pnl          gain       CNH  (re-buying it cost less)

What nets after execute + reverse (tests/unit/fx/test_ledger_properties.py):
- customer_clearing, fx_fees, fx_rounding and fx_spread: zero in every currency (the
  customer gets back exactly what was sold, fee included);
- liquidity_provider: zero in X; in CNH, `loss - gain`;
- issuer_pnl: in CNH, `gain - loss` (the market result, the issuer's alone).
After executions alone, fx_rounding holds exactly the sum of their remainders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from schemas.money import PAR_CURRENCY, minor_to_decimal
from services.fx.domain.pricing import MarketResult


class Account(StrEnum):
    CUSTOMER_CLEARING = "customer_clearing"
    """The customer's side of conversions: CNH from redeemed tokens in, payout out."""
    LIQUIDITY_PROVIDER = "liquidity_provider"
    FEES = "fx_fees"
    ROUNDING = "fx_rounding"
    SPREAD = "fx_spread"
    ISSUER_PNL = "issuer_pnl"


@dataclass(frozen=True, slots=True)
class Movement:
    source: Account
    destination: Account
    currency: str
    amount: Decimal
    memo: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A journal entry: one kind of booking (trade, reversal, market_move) of a conversion,
    its movements balanced per currency."""

    entry_id: uuid.UUID
    kind: str
    redemption_id: uuid.UUID
    conversion_id: uuid.UUID
    command_id: uuid.UUID
    movements: Sequence[Movement]


@dataclass(frozen=True, slots=True)
class Trade:
    """The executed amounts (minor units for money, exact decimals for the sub-minor legs)."""

    currency: str
    fee_minor: int
    net_minor: int
    buy_minor: int
    remainder: Decimal
    spread: Decimal


def _minor(amount_minor: int, currency: str) -> Decimal:
    return minor_to_decimal(amount_minor, currency)


def _nonzero(movements: Iterable[Movement]) -> list[Movement]:
    # a zero leg explains nothing (and the table refuses it)
    return [m for m in movements if m.amount != 0]


def trade_movements(trade: Trade) -> list[Movement]:
    x = trade.currency
    return _nonzero(
        [
            Movement(
                Account.CUSTOMER_CLEARING,
                Account.FEES,
                PAR_CURRENCY,
                _minor(trade.fee_minor, PAR_CURRENCY),
                "conversion fee",
            ),
            Movement(
                Account.CUSTOMER_CLEARING,
                Account.LIQUIDITY_PROVIDER,
                PAR_CURRENCY,
                _minor(trade.net_minor, PAR_CURRENCY),
                "CNH sold to the liquidity provider",
            ),
            Movement(
                Account.LIQUIDITY_PROVIDER,
                Account.CUSTOMER_CLEARING,
                x,
                _minor(trade.buy_minor, x),
                "payout currency bought for the customer",
            ),
            Movement(
                Account.LIQUIDITY_PROVIDER,
                Account.ROUNDING,
                x,
                trade.remainder,
                "payout rounded down: the remainder",
            ),
            Movement(
                Account.LIQUIDITY_PROVIDER, Account.SPREAD, x, trade.spread, "spread at the mid"
            ),
        ]
    )


def reversal_movements(trade: Trade, market: MarketResult) -> list[Movement]:
    reverse = [
        Movement(m.destination, m.source, m.currency, m.amount, f"reversal: {m.memo}")
        for m in trade_movements(trade)
    ]
    return _nonzero(
        [
            *reverse,
            *_issuer_result(
                market,
                loss="issuer loss: buying the CNH back cost more at today's mid",
                gain="issuer gain: buying the CNH back cost less at today's mid",
            ),
        ]
    )


def market_move_movements(market: MarketResult) -> list[Movement]:
    """A quote honoured after its expiry: the issuer pays the provider the CNH the market's
    fall costs, or keeps what its rise left in the payout currency (pricing.honour)."""
    return _nonzero(
        _issuer_result(
            market,
            loss="issuer loss: the quote honoured after its expiry, the market had fallen",
            gain="issuer gain: the quote honoured after its expiry, the market had risen",
        )
    )


def _issuer_result(market: MarketResult, *, loss: str, gain: str) -> list[Movement]:
    """The market's result between the issuer and the provider: a loss paid in CNH, a gain
    kept in the currency it arose in."""
    return [
        Movement(
            Account.ISSUER_PNL,
            Account.LIQUIDITY_PROVIDER,
            PAR_CURRENCY,
            market.loss.to_decimal(),
            loss,
        ),
        Movement(
            Account.LIQUIDITY_PROVIDER,
            Account.ISSUER_PNL,
            market.gain.currency,
            market.gain.to_decimal(),
            gain,
        ),
    ]
