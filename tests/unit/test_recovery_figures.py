"""The broker-restart figures of bench/recovery.py, from outcome arrival times."""

from __future__ import annotations

from bench.figures import figures

MARKS = (100.0, 110.0, 130.0)  # stop issued, broker stopped, broker ready


def steady(start: float, end: float, per_s: float) -> list[float]:
    count = int((end - start) * per_s)
    return [start + n / per_s for n in range(count)]


def test_a_platform_that_resumes_at_once() -> None:
    arrivals = steady(90, 100, 10) + steady(130.5, 140, 10)
    found = figures(arrivals, MARKS, offered_per_s=10)
    assert found.stopped_s == 10
    assert found.ready_s == 30
    assert found.first_outcome_after_ready_s == 0.5
    assert found.rate_back_after_ready_s == 0.5
    assert found.gap_s == 30.6  # from the last outcome before the stop (99.9)


def test_a_trickle_is_not_the_rate_back() -> None:
    trickle = steady(131, 136, 2)  # outcomes, but at a fifth of the offered rate
    arrivals = steady(90, 100, 10) + trickle + steady(136, 146, 10)
    found = figures(arrivals, MARKS, offered_per_s=10)
    assert found.first_outcome_after_ready_s == 1.0
    assert found.rate_back_after_ready_s is not None
    assert 5.0 <= found.rate_back_after_ready_s <= 6.0


def test_outcomes_between_the_stop_and_ready_are_not_after_ready() -> None:
    arrivals = steady(90, 101, 10) + steady(135, 140, 10)
    assert figures(arrivals, MARKS, offered_per_s=10).first_outcome_after_ready_s == 5.0


def test_no_outcome_after_ready_is_none() -> None:
    found = figures(steady(90, 100, 10), MARKS, offered_per_s=10)
    assert found.first_outcome_after_ready_s is None
    assert found.rate_back_after_ready_s is None
    assert found.gap_s is None
