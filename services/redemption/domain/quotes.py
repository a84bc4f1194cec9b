"""A quote request this service forwarded to FX for a redemption, as it is stored: asked
(`requested`), then answered once (`quoted` with FX's firm quote, or `rejected`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class QuoteRequest:
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount_minor: int
    payout_currency: str
    quote_id: uuid.UUID | None
    status: str
    outcome: bytes | None
    """The answer published to the holder, kept to answer the same question again."""
    expires_at: dt.datetime | None = None
    """The firm quote's expiry (FX's): a redeem request must arrive before it."""
