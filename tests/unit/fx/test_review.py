"""Rate review: a walk of small steps away from the pair's own window is held, ordinary
movement is not, and one big step is still refused by the per-step band."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.fx import RateHeld, ReferenceRate
from schemas.rates import CurrencyPair
from services.fx.domain.rates import BookRate, RateBounds, RateUpdate, judge_update
from services.fx.domain.review import ReviewWindow, parse_windows
from services.fx.use_cases.rates import take_reference_rate
from tests.unit.fx.fakes import TERMS, FxFakeWork

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BOUNDS = RateBounds(max_jump_bps=500, max_future_s=5, max_age_s=60)
WINDOWS = TERMS.review_windows  # the defaults
EUR = CurrencyPair(base="CNH", quote="EUR")


@dataclass
class Book:
    """The EUR book as FX keeps it, fed one reference rate at a time through the use case
    (take_reference_rate on the fake work): the accepted rates, the current mid, and what
    each update became."""

    windows: tuple[ReviewWindow, ...]
    outcomes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        terms = replace(TERMS, rate_bounds=BOUNDS, review_windows=self.windows)
        self.work = FxFakeWork(terms=terms)

    @property
    def accepted(self) -> list[BookRate]:
        return [u.rate for u in self.work.rates.updates if u.refusal is None]

    @property
    def current(self) -> BookRate | None:
        entry = self.work.rates.book.get("EUR")
        return entry.rate if entry else None

    async def offer(self, rate: BookRate, now: dt.datetime) -> RateUpdate:
        """What the update became: recorded as accepted, refused or held."""
        self.work.next_message()
        self.work.clock = now
        mid = str(rate.per_cnh)
        await take_reference_rate(
            self.work, ReferenceRate(pair=EUR, mid=mid, as_of=rate.as_of, source="feed")
        )
        update = self.work.rates.updates[-1]
        self.outcomes.append(update.refusal[0] if update.refusal else "accepted")
        return update

    def held(self) -> RateHeld:
        (held,) = self.work.payloads(RateHeld)
        assert isinstance(held, RateHeld)
        return held


def eur(value: Decimal, seconds: float) -> BookRate:
    # a feed's rate has a bounded number of digits
    return BookRate("EUR", value.quantize(Decimal("1E-12")), NOW + dt.timedelta(seconds=seconds))


async def seeded(start: str = "0.128") -> Book:
    book = Book(WINDOWS)
    assert (await book.offer(eur(Decimal(start), 0), NOW)).refusal is None
    return book


def test_the_default_windows_are_an_hour_and_a_day() -> None:
    assert (ReviewWindow(3600, 300), ReviewWindow(86400, 600)) == WINDOWS
    assert parse_windows("") == ()
    assert parse_windows("86400=600, 60=50") == (ReviewWindow(60, 50), ReviewWindow(86400, 600))
    for bad in ("3600", "x=1", "0=5", "3600=-1"):
        with pytest.raises(ValueError, match="review window"):
            parse_windows(bad)


async def test_forty_small_steps_from_0128_to_0745_are_held_before_any_walked_rate_is_used() -> (
    None
):
    book = await seeded()
    step = (Decimal("0.745") / Decimal("0.128")) ** (Decimal(1) / 40)
    walk = [Decimal("0.128") * step**n for n in range(1, 41)]
    assert abs(walk[-1] - Decimal("0.745")) < Decimal("0.000001")
    previous = book.current
    for n, value in enumerate(walk, start=1):
        rate = eur(value, n)
        # every step on its own stays inside the per-step band
        assert judge_update(previous, rate, rate.as_of, BOUNDS) is None
        previous = rate
        await book.offer(rate, rate.as_of)
    assert book.outcomes[1] == "held"  # the very first forged step
    assert "accepted" not in book.outcomes[1:]
    assert [r.per_cnh for r in book.accepted] == [Decimal("0.128")]


async def test_a_slow_walk_that_drags_the_hour_along_is_held_by_the_day() -> None:
    book = Book(WINDOWS)
    for minute in range(-1440, 1):  # a day of quiet history, one rate a minute
        await book.offer(eur(Decimal("0.1280"), minute * 60), NOW + dt.timedelta(minutes=minute))
    value, seconds = Decimal("0.1280"), 0
    # 2.9 % up every 40 minutes: each hour's median follows the walk, the day's does not
    for _ in range(6):
        value *= Decimal("1.029")
        for _ in range(40):
            seconds += 60
            await book.offer(eur(value, seconds), NOW + dt.timedelta(seconds=seconds))
    assert "held" in book.outcomes
    assert max(r.per_cnh for r in book.accepted) < Decimal("0.1280") * Decimal("1.061")


async def test_one_big_step_is_still_refused_by_the_per_step_band() -> None:
    book = await seeded()
    update = await book.offer(eur(Decimal("0.1500"), 1), NOW + dt.timedelta(seconds=1))
    assert update.refusal is not None
    assert update.refusal[0] == "jump"
    assert book.work.payloads(RateHeld) == []


async def test_a_move_beyond_the_hour_bound_but_inside_the_band_is_held() -> None:
    book = await seeded()
    update = await book.offer(eur(Decimal("0.1320"), 1), NOW + dt.timedelta(seconds=1))  # +312
    assert update.refusal is not None
    assert update.refusal[0] == "held"
    assert "312.5 bps" in update.refusal[1]
    held = book.held()
    assert (held.window_s, held.bound_bps) == (3600, 300)
    assert (held.window_median, held.drift_bps) == ("0.128", 312)
    assert [r.per_cnh for r in book.accepted] == [Decimal("0.128")]


async def test_an_empty_window_is_anchored_on_the_last_accepted_rate() -> None:
    book = await seeded()
    two_days = 2 * 86400
    later = NOW + dt.timedelta(seconds=two_days)
    # the book went stale (no per-step band); the review still measures the first rate back
    await book.offer(eur(Decimal("0.2000"), two_days), later)
    await book.offer(eur(Decimal("0.1290"), two_days + 1), later)
    assert book.outcomes[1:] == ["held", "accepted"]


async def test_no_windows_means_no_review() -> None:
    book = Book(())
    await book.offer(eur(Decimal("0.128"), 0), NOW)
    update = await book.offer(eur(Decimal("0.1320"), 1), NOW + dt.timedelta(seconds=1))
    assert update.refusal is None


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=-15, max_value=15), min_size=1, max_size=300),
    gaps=st.integers(min_value=1, max_value=120),
)
def test_ordinary_movement_near_the_window_is_never_held(steps: list[int], gaps: int) -> None:
    """A random walk of steps of at most 15 bps, kept within 1 % of where it started (the
    band), over minutes to hours: every rate is accepted."""
    asyncio.run(_walk(steps, gaps))


async def _walk(steps: list[int], gaps: int) -> None:
    start = Decimal("0.1389")
    book = await seeded(str(start))
    level = 0
    for n, step_bps in enumerate(steps, start=1):
        level = max(-100, min(100, level + step_bps))
        value = start * (1 + Decimal(level) / 10_000)
        at = NOW + dt.timedelta(seconds=n * gaps)
        update = await book.offer(eur(value, n * gaps), at)
        assert update.refusal is None, book.outcomes
