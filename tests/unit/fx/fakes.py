"""In-memory repositories of FX's unit of work (services/fx/use_cases/work.py FxWork): the
state a use-case test is given and then reads back. The SQL ones are proven by
tests/integration/fx."""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from services.fx.domain.conversions import Conversion, Execution, Reversal
from services.fx.domain.ledger import Entry
from services.fx.domain.quotes import Quote, QuoteBasis
from services.fx.domain.rates import BookEntry, BookRate, RateUpdate
from services.fx.domain.review import Held, RateHold, ReviewWindow
from services.fx.settings import FxSettings
from services.fx.use_cases.work import FxTerms
from tests.support.work import FakeWork

TERMS = FxSettings(service="fx").terms  # the service's defaults


@dataclass
class FakeRateBook:
    book: dict[str, BookEntry] = field(default_factory=dict)
    updates: list[RateUpdate] = field(default_factory=list)

    async def lock_currency(self, currency: str) -> None:
        pass

    async def book_rate(self, currency: str) -> BookEntry | None:
        return self.book.get(currency)

    async def record_rate_update(self, update: RateUpdate) -> int:
        self.updates.append(update)
        return len(self.updates)

    async def set_book_rate(self, rate: BookRate, update_id: int) -> None:
        self.book[rate.currency] = BookEntry(rate, update_id)

    async def window_medians(
        self, currency: str, now: dt.datetime, windows: Sequence[ReviewWindow]
    ) -> list[Decimal | None]:
        accepted = [u.rate for u in self.updates if u.refusal is None]
        return [
            _lower_median(
                [
                    r.per_cnh
                    for r in accepted
                    if r.currency == currency and r.as_of >= now - dt.timedelta(seconds=w.span_s)
                ]
            )
            for w in windows
        ]


@dataclass
class FakeRateHolds:
    open: dict[str, RateHold] = field(default_factory=dict)

    async def open_hold(self, currency: str) -> RateHold | None:
        return self.open.get(currency)

    async def insert_hold(self, currency: str, update_id: int, held: Held) -> None:
        self.open[currency] = RateHold(len(self.open) + 1, currency, update_id)

    async def extend_hold(self, hold_id: int, update_id: int) -> None:
        (hold,) = (h for h in self.open.values() if h.hold_id == hold_id)
        self.open[hold.currency] = replace(hold, last_update_id=update_id)


@dataclass
class FakePositions:
    net: dict[str, int] = field(default_factory=dict)

    async def grow(self, currency: str, amount_minor: int, limit: int) -> bool:
        if self.net.get(currency, 0) + amount_minor > limit:
            return False
        self.net[currency] = self.net.get(currency, 0) + amount_minor
        return True

    async def shrink(self, currency: str, amount_minor: int) -> None:
        self.net[currency] -= amount_minor


@dataclass
class FakeQuotes:
    rates: FakeRateBook
    holds: FakeRateHolds
    positions: FakePositions
    stored: dict[uuid.UUID, Quote] = field(default_factory=dict)

    async def quote_basis(self, currency: str) -> QuoteBasis:
        position = self.positions.net.get(currency, 0)
        return QuoteBasis(self.rates.book.get(currency), position, currency in self.holds.open)

    async def insert_quote(
        self, quote: Quote, *, rate_update_id: int, issued_at: dt.datetime, command_id: uuid.UUID
    ) -> None:
        self.stored[quote.quote_id] = quote


@dataclass(frozen=True)
class Converted:
    conversion_id: uuid.UUID
    quote_id: uuid.UUID
    market_mid: Decimal | None


@dataclass
class FakeConversions:
    quotes: FakeQuotes
    converted: dict[uuid.UUID, Converted] = field(default_factory=dict)
    reversed: dict[uuid.UUID, Reversal] = field(default_factory=dict)
    cancelled: set[uuid.UUID] = field(default_factory=set)

    async def lock(self, redemption_id: uuid.UUID) -> None:
        pass

    async def execution_of(self, redemption_id: uuid.UUID, quote_id: uuid.UUID) -> Execution:
        mine = self.converted.get(redemption_id)
        cancelled = redemption_id in self.cancelled
        converted_with = mine.quote_id if mine else None
        return Execution(cancelled, self.quotes.stored.get(quote_id), converted_with)

    async def conversion_of(self, redemption_id: uuid.UUID) -> Conversion | None:
        mine = self.converted.get(redemption_id)
        if mine is None:
            return None
        return Conversion(mine.conversion_id, mine.quote_id, redemption_id in self.reversed)

    async def insert_conversion(
        self,
        conversion_id: uuid.UUID,
        quote: Quote,
        *,
        at: dt.datetime,
        command_id: uuid.UUID,
        accepted_at: dt.datetime | None = None,
        market_mid: Decimal | None = None,
    ) -> None:
        self.quotes.stored[quote.quote_id] = replace(quote, used=True)
        self.converted[quote.redemption_id] = Converted(conversion_id, quote.quote_id, market_mid)

    async def cancel(
        self, redemption_id: uuid.UUID, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None:
        self.cancelled.add(redemption_id)

    async def insert_reversal(
        self, reversal: Reversal, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None:
        self.reversed[reversal.redemption_id] = reversal

    async def quote_of(self, conversion_id: uuid.UUID) -> Quote:
        (mine,) = (c for c in self.converted.values() if c.conversion_id == conversion_id)
        return self.quotes.stored[mine.quote_id]


@dataclass
class FakeJournal:
    entries: dict[uuid.UUID, Entry] = field(default_factory=dict)

    async def post_entry(self, entry: Entry) -> None:
        self.entries[entry.entry_id] = entry

    def kinds(self) -> list[str]:
        return [e.kind for e in self.entries.values()]


@dataclass
class FxFakeWork(FakeWork):
    terms: FxTerms = TERMS
    rates: FakeRateBook = field(default_factory=FakeRateBook)
    holds: FakeRateHolds = field(default_factory=FakeRateHolds)
    positions: FakePositions = field(default_factory=FakePositions)
    journal: FakeJournal = field(default_factory=FakeJournal)

    def __post_init__(self) -> None:
        self.quotes = FakeQuotes(self.rates, self.holds, self.positions)
        self.conversions = FakeConversions(self.quotes)


def _lower_median(values: Sequence[Decimal]) -> Decimal | None:
    """What the repository's `percentile_disc(0.5)` reads: the lower median."""
    return statistics.median_low(values) if values else None
