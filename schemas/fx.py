"""FX's contracts: reference rates (ingress), firm quotes, conversions and their reversal.

A rate is "quote currency per one base currency" as a strict decimal string; conversions
here always sell CNH (the par value of redeemed tokens) and buy the payout currency."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.ids import Name, Text
from schemas.message import Message
from schemas.money import CnhAmount, CurrencyCode, Money
from schemas.rates import CurrencyPair, RateStr

# --- ingress: fx.rates ------------------------------------------------------------------


class ReferenceRate(Message):
    """A market mid rate from a market-data producer."""

    TYPE = "fx.reference_rate"
    pair: CurrencyPair
    mid: RateStr
    as_of: AwareDatetime
    source: Name


class RateHeld(Message):
    """On fx.events (key: the pair): a reference rate walked away from the pair's own recent
    window and is held for review, not quoted. Quotes for the pair are refused
    (`rate_under_review`) until an operator releases or rejects the hold."""

    TYPE = "fx.rate_held"
    pair: CurrencyPair
    """As the book prices it: CNH/<payout currency>."""
    held_per_cnh: RateStr
    """The held rate, payout currency per one CNH."""
    as_of: AwareDatetime
    source: Name
    window_median: RateStr
    """The median of the rates accepted in the review window it walked away from."""
    window_s: Annotated[int, Field(ge=1)]
    drift_bps: Annotated[int, Field(ge=0)]
    """How far it is from that median (basis points of it, rounded down)."""
    bound_bps: Annotated[int, Field(ge=0)]


# --- quotes: asked before the customer commits ---------------------------------------


class RequestQuote(Message):
    TYPE = "fx.request_quote"
    redemption_id: uuid.UUID
    sell: CnhAmount
    buy_currency: CurrencyCode
    ttl_seconds: Annotated[int, Field(ge=1, le=3_600)] | None = None
    """What the client asks for; the server caps it at its configured maximum."""


class QuoteIssued(Message):
    """A firm, single-use quote bound to one redemption; fees disclosed here, before the
    customer commits."""

    TYPE = "fx.quote_issued"
    quote_id: uuid.UUID
    redemption_id: uuid.UUID
    sell: CnhAmount
    buy: Money
    """What the customer receives, rounded down to the payout currency's minor unit."""
    rate: RateStr
    """The all-in customer rate: buy currency per one CNH, spread included."""
    fee: CnhAmount
    expires_at: AwareDatetime


QuoteRejectReason = Literal[
    "unsupported_currency",
    "stale_rate",
    "exposure_limit",
    "too_small",
    "rate_under_review",  # the pair's rate is held for review (RateHeld) until an operator decides
]


class QuoteRejected(Message):
    TYPE = "fx.quote_rejected"
    redemption_id: uuid.UUID
    reason: QuoteRejectReason
    detail: Text


# --- saga step 3: conversion, and its compensation ------------------------------------


class ExecuteConversion(Message):
    """Convert at the quote. A quote is firm: `accepted_at`, when the platform accepted the
    redeem request that carries it, is what FX compares with the quote's expiry, however
    long the saga took since (the issuer carries the market's move in the meantime). Absent
    (a sender from before), FX compares its own clock."""

    TYPE = "fx.execute_conversion"
    redemption_id: uuid.UUID
    quote_id: uuid.UUID
    accepted_at: AwareDatetime | None = None


class ConversionExecuted(Message):
    TYPE = "fx.conversion_executed"
    conversion_id: uuid.UUID
    redemption_id: uuid.UUID
    quote_id: uuid.UUID
    sold: CnhAmount
    bought: Money
    rate: RateStr
    fee: CnhAmount


ConversionRejectReason = Literal[
    "quote_unknown",
    "quote_expired",
    "quote_used",
    "quote_foreign",  # the quote belongs to another redemption
    "exposure_limit",
    "cancelled",  # a reversal for this redemption arrived first
]


class ConversionRejected(Message):
    TYPE = "fx.conversion_rejected"
    redemption_id: uuid.UUID
    quote_id: uuid.UUID
    reason: ConversionRejectReason
    detail: Text


class ReverseConversion(Message):
    """Compensation of step 3: the exact reverse amounts; any market loss is the issuer's.
    When nothing was executed, the redemption is recorded as cancelled (a late execute is
    refused) and the reply is ReversalRejected("unknown_conversion")."""

    TYPE = "fx.reverse_conversion"
    redemption_id: uuid.UUID


class ConversionReversed(Message):
    TYPE = "fx.conversion_reversed"
    redemption_id: uuid.UUID
    conversion_id: uuid.UUID
    returned: CnhAmount
    """Exactly the CNH sold (the customer's side is restored in full)."""
    issuer_loss: CnhAmount
    """What reversing at today's market cost the issuer (zero when it did not)."""


class ReversalRejected(Message):
    TYPE = "fx.reversal_rejected"
    redemption_id: uuid.UUID
    reason: Literal["unknown_conversion", "already_reversed"]
    detail: Text
