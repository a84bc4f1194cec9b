"""The acceptance time a saga's command carries: what a step judges terms against."""

from __future__ import annotations

import datetime as dt

from services.runtime.clock import accepted_at

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def test_terms_are_judged_when_the_request_was_accepted() -> None:
    earlier = NOW - dt.timedelta(minutes=10)
    assert accepted_at(earlier, NOW) == earlier


def test_an_acceptance_time_from_the_future_counts_as_now() -> None:
    assert accepted_at(NOW + dt.timedelta(seconds=5), NOW) == NOW


def test_a_command_from_before_acceptance_times_is_judged_now() -> None:
    assert accepted_at(None, NOW) == NOW
