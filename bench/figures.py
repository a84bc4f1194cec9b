"""The figures of one broker restart, from the arrival times of the outcomes around it
(bench/recovery.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_S = 2.0
RATE_BACK_SHARE = 0.9
"""The rate is back once outcomes arrive at 90 % of the offered rate over a 2 s window."""


@dataclass(frozen=True)
class Figures:
    """One restart, in seconds; times relative to the stop (None: never seen)."""

    stopped_s: float
    ready_s: float
    first_outcome_after_ready_s: float | None
    rate_back_after_ready_s: float | None
    gap_s: float | None


def figures(
    arrivals: Sequence[float],
    marks: tuple[float, float, float],
    offered_per_s: float,
) -> Figures:
    """The restart's figures from outcome arrival times and its marks (stop issued, broker
    stopped, broker ready), all on one clock."""
    down_at, stopped_at, ready_at = marks
    ordered = sorted(arrivals)
    before = [t for t in ordered if t < down_at]
    after = [t for t in ordered if t >= ready_at]
    first = after[0] if after else None
    return Figures(
        stopped_s=round(stopped_at - down_at, 2),
        ready_s=round(ready_at - down_at, 2),
        first_outcome_after_ready_s=_round(first - ready_at if first is not None else None),
        rate_back_after_ready_s=_round(_rate_back(after, ready_at, offered_per_s)),
        gap_s=_round(first - before[-1] if first is not None and before else None),
    )


def _rate_back(after: Sequence[float], ready_at: float, offered_per_s: float) -> float | None:
    """From ready to the first window (starting at an arrival) holding the offered rate."""
    needed = RATE_BACK_SHARE * offered_per_s * WINDOW_S
    end = 0
    for start, t in enumerate(after):
        end = max(end, start)
        while end < len(after) and after[end] < t + WINDOW_S:
            end += 1
        if end - start >= needed:
            return t - ready_at
    return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
