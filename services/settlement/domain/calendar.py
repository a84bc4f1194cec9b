"""Hong Kong business days, for the one-business-day redemption target.

A business day is a weekday that is not a Hong Kong public holiday (the `holidays` package's
HK calendar). A redemption started at instant t must be paid by the same Hong Kong clock time
on the next business day. One started outside a business day (a weekend, a holiday) counts
as started at 00:00 of the next business day: it gets one full business day too.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

HONG_KONG = dt.timezone(dt.timedelta(hours=8), "HKT")
"""Hong Kong time has no daylight saving: a fixed +08:00 needs no tz database."""


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("HK", years=year)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def redemption_deadline(started_at: dt.datetime) -> dt.datetime:
    """When a redemption started at `started_at` (aware) is late, in Hong Kong time."""
    if started_at.tzinfo is None:
        raise ValueError("an instant needs its time zone")
    local = started_at.astimezone(HONG_KONG)
    if not is_business_day(local.date()):
        local = dt.datetime.combine(next_business_day(local.date()), dt.time(), HONG_KONG)
    due_day = next_business_day(local.date())
    return dt.datetime.combine(due_day, local.timetz())
