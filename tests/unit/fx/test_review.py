"""Rate review: a walk of small steps away from the pair's own window is held, ordinary
movement is not, and one big step is still refused by the per-step band."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.fx.domain.rates import BookRate, RateBounds, Refused, judge_update
from services.fx.domain.review import (
    Held,
    ReviewWindow,
    anchors,
    judge,
    parse_windows,
    window_median,
)
from services.fx.settings import FxSettings

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BOUNDS = RateBounds(max_jump_bps=500, max_future_s=5, max_age_s=60)
WINDOWS = FxSettings(service="fx").review_windows  # the defaults


@dataclass
class Book:
    """The FX book of one currency as the service keeps it: the accepted rates (the window
    the repository reads), the current mid, and what each update became."""

    windows: tuple[ReviewWindow, ...]
    accepted: list[BookRate] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    @property
    def current(self) -> BookRate | None:
        return self.accepted[-1] if self.accepted else None

    def offer(self, rate: BookRate, now: dt.datetime) -> Refused | Held | None:
        medians = [
            window_median(
                [
                    r.per_cnh
                    for r in self.accepted
                    if r.as_of >= now - dt.timedelta(seconds=w.span_s)
                ]
            )
            for w in self.windows
        ]
        verdict = judge(
            self.current, rate, now, BOUNDS, anchors(self.windows, medians, self.current)
        )
        if verdict is None:
            self.accepted.append(rate)
        self.outcomes.append(
            "held" if isinstance(verdict, Held) else verdict.reason if verdict else "accepted"
        )
        return verdict


def eur(value: Decimal, seconds: float) -> BookRate:
    return BookRate("EUR", value, NOW + dt.timedelta(seconds=seconds))


def seeded(start: str = "0.128") -> Book:
    book = Book(WINDOWS)
    assert book.offer(eur(Decimal(start), 0), NOW) is None
    return book


def test_the_default_windows_are_an_hour_and_a_day() -> None:
    assert (ReviewWindow(3600, 300), ReviewWindow(86400, 600)) == WINDOWS
    assert parse_windows("") == ()
    assert parse_windows("86400=600, 60=50") == (ReviewWindow(60, 50), ReviewWindow(86400, 600))
    for bad in ("3600", "x=1", "0=5", "3600=-1"):
        with pytest.raises(ValueError, match="review window"):
            parse_windows(bad)


def test_the_median_is_an_accepted_rate_itself() -> None:
    assert window_median([]) is None
    assert window_median([Decimal(3), Decimal(1), Decimal(2)]) == 2
    assert window_median([Decimal(4), Decimal(1), Decimal(2), Decimal(3)]) == 2  # lower


def test_forty_small_steps_from_0128_to_0745_are_held_before_any_walked_rate_is_used() -> None:
    book = seeded()
    step = (Decimal("0.745") / Decimal("0.128")) ** (Decimal(1) / 40)
    walk = [Decimal("0.128") * step**n for n in range(1, 41)]
    assert abs(walk[-1] - Decimal("0.745")) < Decimal("0.000001")
    previous = book.current
    for n, value in enumerate(walk, start=1):
        rate = eur(value, n)
        # every step on its own stays inside the per-step band
        assert judge_update(previous, rate, rate.as_of, BOUNDS) is None
        previous = rate
        book.offer(rate, rate.as_of)
    assert book.outcomes[1] == "held"  # the very first forged step
    assert "accepted" not in book.outcomes[1:]
    assert [r.per_cnh for r in book.accepted] == [Decimal("0.128")]


def test_a_slow_walk_that_drags_the_hour_along_is_held_by_the_day() -> None:
    book = Book(WINDOWS)
    for minute in range(-1440, 1):  # a day of quiet history, one rate a minute
        book.offer(eur(Decimal("0.1280"), minute * 60), NOW + dt.timedelta(minutes=minute))
    value, seconds = Decimal("0.1280"), 0
    # 2.9 % up every 40 minutes: each hour's median follows the walk, the day's does not
    for _ in range(6):
        value *= Decimal("1.029")
        for _ in range(40):
            seconds += 60
            book.offer(eur(value, seconds), NOW + dt.timedelta(seconds=seconds))
    assert "held" in book.outcomes
    assert max(r.per_cnh for r in book.accepted) < Decimal("0.1280") * Decimal("1.061")


def test_one_big_step_is_still_refused_by_the_per_step_band() -> None:
    book = seeded()
    verdict = book.offer(eur(Decimal("0.1500"), 1), NOW + dt.timedelta(seconds=1))
    assert isinstance(verdict, Refused)
    assert verdict.reason == "jump"


def test_a_move_beyond_the_hour_bound_but_inside_the_band_is_held() -> None:
    book = seeded()
    verdict = book.offer(eur(Decimal("0.1320"), 1), NOW + dt.timedelta(seconds=1))  # +312 bps
    assert isinstance(verdict, Held)
    assert verdict.anchor.window == ReviewWindow(3600, 300)
    assert verdict.anchor.median == Decimal("0.128")
    assert "312.5 bps" in verdict.detail


def test_an_empty_window_is_anchored_on_the_last_accepted_rate() -> None:
    book = seeded()
    two_days = 2 * 86400
    later = NOW + dt.timedelta(seconds=two_days)
    # the book went stale (no per-step band); the review still measures the first rate back
    verdict = book.offer(eur(Decimal("0.2000"), two_days), later)
    assert isinstance(verdict, Held)
    assert book.offer(eur(Decimal("0.1290"), two_days + 1), later) is None


def test_no_windows_means_no_review() -> None:
    book = Book(())
    book.offer(eur(Decimal("0.128"), 0), NOW)
    assert book.offer(eur(Decimal("0.1320"), 1), NOW + dt.timedelta(seconds=1)) is None


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=-15, max_value=15), min_size=1, max_size=300),
    gaps=st.integers(min_value=1, max_value=120),
)
def test_ordinary_movement_near_the_window_is_never_held(steps: list[int], gaps: int) -> None:
    """A random walk of steps of at most 15 bps, kept within 1 % of where it started (the
    band), over minutes to hours: every rate is accepted."""
    start = Decimal("0.1389")
    book = seeded(str(start))
    level = 0
    for n, step_bps in enumerate(steps, start=1):
        level = max(-100, min(100, level + step_bps))
        value = (start * (1 + Decimal(level) / 10_000)).quantize(Decimal("1E-12"))
        at = NOW + dt.timedelta(seconds=n * gaps)
        assert book.offer(eur(value, n * gaps), at) is None, book.outcomes
