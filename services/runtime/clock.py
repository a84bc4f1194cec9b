"""The platform's clock, and the acceptance time a saga's commands carry."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def accepted_at(carried: dt.datetime | None, now: dt.datetime | None = None) -> dt.datetime:
    """When the request behind a command was accepted: the time the command carries (the
    saga's intake, stamped by the broker), never later than now; absent (a sender from
    before acceptance times), now. Terms accepted in time (a quote, a signed deadline) are
    honoured however long the platform took since."""
    now = now or utc_now()
    return now if carried is None else min(carried, now)
