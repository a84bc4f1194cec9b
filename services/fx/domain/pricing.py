"""Firm-quote pricing and the re-pricing of a reversal: exact decimal arithmetic.

A quote sells CNH for a payout currency X:

    fee        = max(floor(sell * fee_bps / 10 000), fee_min)          CNH, disclosed
    net        = sell - fee                                              CNH sold to the LP
    rate       = floor12(mid * (10 000 - spread_bps) / 10 000)           X per CNH, disclosed
    buy        = floor_minor(net * rate)                                 X paid to the customer
    remainder  = net * rate - buy          (0 <= remainder < 1 minor unit of X)
    spread     = net * mid - net * rate    (the issuer's margin, X)

so that, exactly, `buy + remainder + spread == net * mid` (what the liquidity provider
delivers at the mid) and `buy + remainder == (sell - fee) * rate`. The fee is rounded down
(in the customer's favour); the payout is rounded down and its remainder booked to the
rounding account. Execution uses the quote's stored amounts: the customer never receives
more, or less, than quoted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Context, Decimal, Inexact, Rounded

from schemas.money import PAR_CURRENCY, PRECISION, Money
from schemas.rates import MAX_FRACTION_DIGITS, CurrencyPair, convert, rate_decimal
from services.fx.domain.rates import Refused

_EXACT = Context(prec=PRECISION, traps=[Inexact, Rounded])
_DIVIDE = Context(prec=PRECISION + 10)
_RATE_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
_FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PricingTerms:
    spread_bps: int
    fee_bps: int
    fee_min_minor: int


@dataclass(frozen=True, slots=True)
class Pricing:
    sell: Money
    fee: Money
    net: Money
    mid: Decimal
    rate: str
    """The all-in customer rate (X per CNH) as the strict rate string disclosed."""
    buy: Money
    remainder: Decimal
    spread: Decimal


def rate_text(value: Decimal) -> str:
    """A decimal as a strict rate string (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    rate_decimal(text)  # refuses anything the wire would refuse
    return text


def customer_rate(mid: Decimal, spread_bps: int) -> Decimal:
    """The mid less the spread for selling CNH, rounded down to the rate's last digit."""
    value = _EXACT.multiply(mid, Decimal(10_000 - spread_bps))
    return _DIVIDE.divide(value, Decimal(10_000)).quantize(_RATE_QUANTUM, rounding=ROUND_DOWN)


def fee_for(sell: Money, terms: PricingTerms) -> Money:
    proportional = sell.amount_minor * terms.fee_bps // 10_000
    return Money(amount_minor=max(proportional, terms.fee_min_minor), currency=PAR_CURRENCY)


def price(sell: Money, currency: str, mid: Decimal, terms: PricingTerms) -> Pricing | Refused:
    """The firm quote for selling `sell` CNH for `currency` at reference `mid` (X per CNH)."""
    if sell.currency != PAR_CURRENCY:
        raise ValueError(f"quotes sell {PAR_CURRENCY}")
    fee = fee_for(sell, terms)
    if fee.amount_minor >= sell.amount_minor:
        return Refused("too_small", f"the fee {fee} takes all of {sell}")
    rate = customer_rate(mid, terms.spread_bps)
    if rate <= 0:
        return Refused("too_small", f"the mid {mid} leaves no rate after the spread")
    net = sell - fee
    text = rate_text(rate)
    buy, remainder = convert(net, CurrencyPair(base=PAR_CURRENCY, quote=currency), text)
    if buy.amount_minor == 0:
        return Refused("too_small", f"{sell} buys less than one minor unit of {currency}")
    spread = _EXACT.subtract(
        _EXACT.multiply(net.to_decimal(), mid), _EXACT.multiply(net.to_decimal(), rate)
    )
    return Pricing(sell, fee, net, mid, text, buy, remainder, spread)


def expiry(
    now: dt.datetime, requested_s: int | None, default_s: float, max_s: float
) -> dt.datetime:
    """The server sets the expiry: the client's wish is honoured up to the maximum."""
    ttl = min(float(requested_s) if requested_s is not None else default_s, max_s)
    return now + dt.timedelta(seconds=ttl)


@dataclass(frozen=True, slots=True)
class MarketResult:
    """What buying the sold CNH back at today's mid costs the issuer (in CNH) or leaves it
    (in the payout currency)."""

    loss: Money
    """CNH, rounded up to the fen: the issuer bears all of it."""
    gain: Money
    """The payout currency, rounded down: what the issuer keeps."""


def reprice(net: Money, executed_mid: Decimal, market_mid: Decimal, currency: str) -> MarketResult:
    """Buying back `net` CNH at `market_mid` costs `net * market_mid` of `currency`; the
    issuer holds the `net * executed_mid` the liquidity provider delivered at execution (the
    customer's payout returned, plus the rounding remainder and the spread).

    - Short: the issuer buys back what its holding buys and pays the rest of the CNH itself,
      `net * (market - executed) / market` CNH, less than `net` however the market moved.
    - Over: the issuer keeps the surplus in the currency it holds, `net * (executed -
      market)`, less than what the provider delivered however the market moved. (Valued in
      CNH at the market mid it would grow without bound as that mid falls, past what any
      amount can hold.)

    Neither ever touches the customer's side."""
    held = _EXACT.multiply(net.to_decimal(), executed_mid)
    short = _EXACT.subtract(_EXACT.multiply(net.to_decimal(), market_mid), held)
    return _issuer_result(short, market_mid, currency)


def honour(net: Money, quoted_mid: Decimal, market_mid: Decimal, currency: str) -> MarketResult:
    """What honouring a quote after its expiry costs or leaves the issuer: the customer still
    gets the quoted payout, but the liquidity provider now sells at `market_mid`, delivering
    `net * market_mid` of `currency` where the quote booked `net * quoted_mid`.

    - Short (the market fell): the issuer sells the provider the CNH that buys the shortfall
      at the market, `net * (quoted - market) / market`, rounded up to the fen.
    - Over (the market rose): the provider delivers more than the quote booked; the issuer
      keeps the surplus in `currency`, rounded down.

    The customer's side is never touched: the quote is firm."""
    delivered = _EXACT.multiply(net.to_decimal(), market_mid)
    short = _EXACT.subtract(_EXACT.multiply(net.to_decimal(), quoted_mid), delivered)
    return _issuer_result(short, market_mid, currency)


def _issuer_result(short: Decimal, market_mid: Decimal, currency: str) -> MarketResult:
    """`short` of `currency` the issuer lacks (negative: holds over): a shortfall is bought
    with the issuer's CNH at the market, rounded up to the fen; a surplus is kept as it is,
    rounded down."""
    if short > 0:
        in_cnh = _DIVIDE.divide(short, market_mid).quantize(_FEN, rounding=ROUND_CEILING)
        loss, _ = Money.from_decimal(in_cnh, PAR_CURRENCY)
        return MarketResult(loss=loss, gain=Money.zero(currency))
    gain, _ = Money.from_decimal(-short, currency, rounding=ROUND_FLOOR)
    return MarketResult(loss=Money.zero(PAR_CURRENCY), gain=gain)
