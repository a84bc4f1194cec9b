"""Deciding an application, and what a new sanctions match does to an existing customer."""

from __future__ import annotations

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


def decide_application(screening: Outcome, due_diligence: DueDiligence) -> Decision:
    tier = TIER_OF[due_diligence]
    if screening == "hit":
        return Decision("rejected", tier, "sanctions_match", sanctioned=True)
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
