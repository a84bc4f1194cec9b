"""What FX's use cases see of a unit of work: one repository per aggregate, the terms, the
clock, the outbox. `repository/work.py` is the SQL one; tests/unit/fx/fakes.py the fake."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from services.fx.domain.conversions import Conversion, Execution, Reversal
from services.fx.domain.ledger import Entry
from services.fx.domain.pricing import PricingTerms
from services.fx.domain.quotes import Quote, QuoteBasis
from services.fx.domain.rates import BookEntry, BookRate, RateBounds, RateUpdate
from services.fx.domain.review import Held, RateHold, ReviewWindow
from services.runtime.work import UseCaseWork


@dataclass(frozen=True)
class FxTerms:
    """The settings the use cases apply, read once at startup (FxSettings.terms)."""

    pricing: PricingTerms
    rate_bounds: RateBounds
    review_windows: tuple[ReviewWindow, ...]
    max_rate_age_s: float
    quote_ttl_s: float
    max_quote_ttl_s: float
    exposure_limits: Mapping[str, int] = field(default_factory=dict)

    def exposure_limit(self, currency: str) -> int:
        return self.exposure_limits.get(currency, 0)


class RateBook(Protocol):
    async def lock_currency(self, currency: str) -> None: ...
    async def book_rate(self, currency: str) -> BookEntry | None: ...
    async def record_rate_update(self, update: RateUpdate) -> int: ...
    async def set_book_rate(self, rate: BookRate, update_id: int) -> None: ...
    async def window_medians(
        self, currency: str, now: dt.datetime, windows: Sequence[ReviewWindow]
    ) -> list[Decimal | None]: ...


class RateHolds(Protocol):
    async def open_hold(self, currency: str) -> RateHold | None: ...
    async def insert_hold(self, currency: str, update_id: int, held: Held) -> None: ...
    async def extend_hold(self, hold_id: int, update_id: int) -> None: ...


class Quotes(Protocol):
    async def quote_basis(self, currency: str) -> QuoteBasis: ...
    async def insert_quote(
        self, quote: Quote, *, rate_update_id: int, issued_at: dt.datetime, command_id: uuid.UUID
    ) -> None: ...


class Conversions(Protocol):
    async def lock(self, redemption_id: uuid.UUID) -> None: ...
    async def execution_of(self, redemption_id: uuid.UUID, quote_id: uuid.UUID) -> Execution: ...
    async def conversion_of(self, redemption_id: uuid.UUID) -> Conversion | None: ...
    async def insert_conversion(
        self,
        conversion_id: uuid.UUID,
        quote: Quote,
        *,
        at: dt.datetime,
        command_id: uuid.UUID,
        accepted_at: dt.datetime | None = None,
        market_mid: Decimal | None = None,
    ) -> None: ...
    async def cancel(
        self, redemption_id: uuid.UUID, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None: ...
    async def insert_reversal(
        self, reversal: Reversal, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None: ...
    async def quote_of(self, conversion_id: uuid.UUID) -> Quote: ...


class Positions(Protocol):
    async def grow(self, currency: str, amount_minor: int, limit: int) -> bool: ...
    async def shrink(self, currency: str, amount_minor: int) -> None: ...


class Journal(Protocol):
    async def post_entry(self, entry: Entry) -> None: ...


class FxWork(UseCaseWork, Protocol):
    @property
    def terms(self) -> FxTerms: ...
    @property
    def rates(self) -> RateBook: ...
    @property
    def holds(self) -> RateHolds: ...
    @property
    def quotes(self) -> Quotes: ...
    @property
    def conversions(self) -> Conversions: ...
    @property
    def positions(self) -> Positions: ...
    @property
    def journal(self) -> Journal: ...
