"""Deciding an application, and what a new sanctions match does to an existing customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.kyc.domain.screening import Outcome

Status = Literal["verified", "referred", "rejected"]
Tier = Literal["basic", "standard", "enhanced"]
DueDiligence = Literal["simplified", "standard", "enhanced"]

TIER_OF: dict[DueDiligence, Tier] = {
    "simplified": "basic",
    "standard": "standard",
    "enhanced": "enhanced",
}
"""The evidence collected sets the tier: more evidence, higher limits."""


@dataclass(frozen=True)
class Decision:
    status: Status
    tier: Tier
    reason: str | None
    """Why (snake_case), for rejections and referrals."""
    sanctioned: bool


EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
"""Older is a typing error, not a customer (and no sanctions list dates anyone earlier)."""
_EARLIEST_OFFSET = dt.timedelta(hours=14)
"""UTC+14: where the date changes first (someone born "today" there is not in the future)."""

DateRefusal = Literal["date_of_birth_in_future", "date_of_birth_before_1900"]


def birth_date_refusal(born: dt.date, now: dt.datetime) -> DateRefusal | None:
    """Why `born` cannot be a customer's birth date at `now` (UTC), or None."""
    if born > (now.astimezone(dt.UTC) + _EARLIEST_OFFSET).date():
        return "date_of_birth_in_future"
    if born < EARLIEST_BIRTH_DATE:
        return "date_of_birth_before_1900"
    return None


def decide_application(
    screening: Outcome, due_diligence: DueDiligence, refusal: DateRefusal | None = None
) -> Decision:
    """A sanctions hit is decided first (it marks the customer sanctioned, whatever else is
    wrong); then an application with an impossible date (`refusal`) is rejected for it."""
    tier = TIER_OF[due_diligence]
    if screening == "hit":
        return Decision("rejected", tier, "sanctions_match", sanctioned=True)
    if refusal is not None:
        return Decision("rejected", tier, refusal, sanctioned=False)
    if screening == "review":
        return Decision("referred", tier, "possible_sanctions_match", sanctioned=False)
    return Decision("verified", tier, None, sanctioned=False)


RescreenAction = Literal["none", "freeze", "reject"]


@dataclass(frozen=True)
class Rescreen:
    action: RescreenAction
    reason: str | None
    sanctioned: bool


def decide_rescreen(status: Status, frozen: bool, sanctioned: bool, screening: Outcome) -> Rescreen:
    """A list update found `screening` for an existing customer.

    Verified customers with a new match are frozen (a definite hit also marks them
    sanctioned; a possible one waits frozen for review). A customer still under review
    with a definite hit is rejected. Nothing changes for rejected customers or clear ones,
    and a customer already frozen for sanctions is not frozen twice.
    """
    if screening == "clear" or status == "rejected":
        return Rescreen("none", None, sanctioned)
    if status == "referred":
        if screening == "hit":
            return Rescreen("reject", "sanctions_match", True)
        return Rescreen("none", None, sanctioned)
    if frozen:
        # already frozen (by an operator or an earlier list): keep it, record the hit
        return Rescreen("none", None, sanctioned or screening == "hit")
    if screening == "hit":
        return Rescreen("freeze", "sanctions_match", True)
    return Rescreen("freeze", "possible_sanctions_match", False)
