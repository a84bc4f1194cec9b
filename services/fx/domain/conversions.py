"""A redemption's conversion: what executing or reversing it depends on, and a reversal.

per redemption:  none ──execute──> converted ──reverse──> reversed
                  └──reverse──> cancelled   (a later execute is refused)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from schemas.money import Money
from services.fx.domain.quotes import Quote
from services.fx.domain.rates import BookRate


@dataclass(frozen=True, slots=True)
class Execution:
    """What executing a quote for a redemption depends on, read in one statement."""

    cancelled: bool
    quote: Quote | None
    """Locked."""
    converted_with: uuid.UUID | None
    """The quote of the redemption's conversion, if there is one."""


@dataclass(frozen=True, slots=True)
class Conversion:
    conversion_id: uuid.UUID
    quote_id: uuid.UUID
    reversed: bool


@dataclass(frozen=True, slots=True)
class Reversal:
    conversion_id: uuid.UUID
    redemption_id: uuid.UUID
    returned: Money
    market: BookRate
    issuer_loss: Money
    issuer_gain: Money
