"""A firm quote as the book keeps it, and what one is priced and bounded with."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from schemas.money import Money
from services.fx.domain.ledger import Trade
from services.fx.domain.pricing import Pricing
from services.fx.domain.rates import BookEntry


@dataclass(frozen=True, slots=True)
class Quote:
    quote_id: uuid.UUID
    redemption_id: uuid.UUID
    sell: Money
    fee: Money
    buy: Money
    rate: str
    mid: Decimal
    remainder: Decimal
    spread: Decimal
    expires_at: dt.datetime
    used: bool

    @classmethod
    def priced(
        cls,
        pricing: Pricing,
        quote_id: uuid.UUID,
        redemption_id: uuid.UUID,
        expires_at: dt.datetime,
    ) -> Quote:
        """A new, unused quote of what `pricing` offers."""
        return cls(
            quote_id=quote_id,
            redemption_id=redemption_id,
            sell=pricing.sell,
            fee=pricing.fee,
            buy=pricing.buy,
            rate=pricing.rate,
            mid=pricing.mid,
            remainder=pricing.remainder,
            spread=pricing.spread,
            expires_at=expires_at,
            used=False,
        )

    @property
    def trade(self) -> Trade:
        return Trade(
            currency=self.buy.currency,
            fee_minor=self.fee.amount_minor,
            net_minor=self.sell.amount_minor - self.fee.amount_minor,
            buy_minor=self.buy.amount_minor,
            remainder=self.remainder,
            spread=self.spread,
        )


@dataclass(frozen=True, slots=True)
class QuoteBasis:
    """What a quote is priced and bounded with, read in one statement."""

    entry: BookEntry | None
    position: int
    under_review: bool
    """The pair is held for review: nothing is quoted until an operator decides."""
