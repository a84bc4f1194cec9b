"""Rate review: a reference rate that walks away from its pair's own recent window is held.

The per-step band (`rates.judge_update`) compares a fresh rate with the one before it, so a
forged feed can walk a pair anywhere in steps that each stay inside it (0.128 to 0.745 EUR
per CNH in forty steps of 4.5 %). Here a rate is also compared with the *median* of the
rates the book accepted over each review window (e.g. the last hour, the last day): a walk
moves the median only once it has outweighed half the window's accepted rates, and a rate
that is held is never accepted, so held rates cannot drag the window along behind them.

A rate further than a window's bound from that window's median is held for review: recorded,
not used, and the pair is quoted no more until an operator releases or rejects the hold.
A window with no accepted rate falls back to the last accepted rate, whatever its age: after
a gap in the feed the first rate is still measured against what the book last knew.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.fx.domain.rates import BookRate, RateBounds, Refused, judge_update


@dataclass(frozen=True, slots=True)
class ReviewWindow:
    span_s: int
    """The accepted rates whose as_of lies within this many seconds before now."""
    max_drift_bps: int
    """A rate further than this from the window's median (basis points of it) is held."""


@dataclass(frozen=True, slots=True)
class Anchor:
    window: ReviewWindow
    median: Decimal


@dataclass(frozen=True, slots=True)
class Held:
    anchor: Anchor
    drift_bps: Decimal
    detail: str


def parse_windows(text: str) -> tuple[ReviewWindow, ...]:
    """`"3600=300,86400=600"` (seconds=bps) -> windows, shortest first; ValueError else."""
    windows: list[ReviewWindow] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        span, sep, bound = item.partition("=")
        if not sep or not span.strip().isdigit() or not bound.strip().isdigit():
            raise ValueError(f"review window {item!r}: expected SECONDS=BPS")
        window = ReviewWindow(int(span), int(bound))
        if window.span_s <= 0:
            raise ValueError(f"review window {item!r}: the span must be positive")
        windows.append(window)
    return tuple(sorted(windows, key=lambda w: w.span_s))


def anchors(
    windows: Sequence[ReviewWindow], medians: Sequence[Decimal | None], last: BookRate | None
) -> list[Anchor]:
    """Each window with its median; an empty window is anchored on the last accepted rate
    (none at all: the book's very first rate, which nothing can bound)."""
    found: list[Anchor] = []
    for window, median in zip(windows, medians, strict=True):
        anchor = median if median is not None else (last.per_cnh if last else None)
        if anchor is not None:
            found.append(Anchor(window, anchor))
    return found


def drift_bps(anchor: Decimal, value: Decimal) -> Decimal:
    return abs(value - anchor) * 10_000 / anchor


def judge_drift(candidate: BookRate, window_anchors: Sequence[Anchor]) -> Held | None:
    """None when `candidate` stays near every window's median; else the first window it
    walked away from."""
    for anchor in window_anchors:
        drift = drift_bps(anchor.median, candidate.per_cnh)
        if drift > anchor.window.max_drift_bps:
            return Held(
                anchor,
                drift,
                f"{candidate.currency} {candidate.per_cnh} is {drift:.1f} bps from the median "
                f"{anchor.median} of the last {anchor.window.span_s} s "
                f"(bound {anchor.window.max_drift_bps} bps)",
            )
    return None


def judge(
    current: BookRate | None,
    candidate: BookRate,
    now: dt.datetime,
    bounds: RateBounds,
    window_anchors: Sequence[Anchor],
) -> Refused | Held | None:
    """The per-step rules first (a rate out of order, from the future, or one big jump is
    refused outright, as before), then the review against the pair's own window."""
    return judge_update(current, candidate, now, bounds) or judge_drift(candidate, window_anchors)


def recorded_as(verdict: Refused | Held | None) -> tuple[str, str] | None:
    """How a rate update is recorded: accepted (None), refused, or held for review."""
    if isinstance(verdict, Held):
        return ("held", verdict.detail)
    return (verdict.reason, verdict.detail) if verdict else None


@dataclass(frozen=True, slots=True)
class RateHold:
    """An open hold on a pair: its latest held rate is the one a release would apply."""

    hold_id: int
    currency: str
    last_update_id: int
