"""Application decisions and what a list update does to existing customers."""

from __future__ import annotations

import pytest

from services.kyc.domain.onboarding import decide_application, decide_rescreen


@pytest.mark.parametrize(
    ("screening", "status", "reason", "sanctioned"),
    [
        ("clear", "verified", None, False),
        ("review", "referred", "possible_sanctions_match", False),
        ("hit", "rejected", "sanctions_match", True),
    ],
)
def test_an_application_is_decided_by_its_screening(
    screening: str, status: str, reason: str | None, sanctioned: bool
) -> None:
    decision = decide_application(screening, "standard")  # type: ignore[arg-type]
    assert (decision.status, decision.reason, decision.sanctioned) == (status, reason, sanctioned)


def test_due_diligence_sets_the_tier() -> None:
    assert decide_application("clear", "simplified").tier == "basic"
    assert decide_application("clear", "standard").tier == "standard"
    assert decide_application("clear", "enhanced").tier == "enhanced"


@pytest.mark.parametrize(
    ("status", "frozen", "sanctioned", "screening", "action", "now_sanctioned"),
    [
        ("verified", False, False, "hit", "freeze", True),
        ("verified", False, False, "review", "freeze", False),
        ("verified", False, False, "clear", "none", False),
        ("verified", True, False, "hit", "none", True),  # already frozen: marked, not refrozen
        ("referred", False, False, "hit", "reject", True),
        ("referred", False, False, "review", "none", False),
        ("rejected", False, True, "hit", "none", True),
    ],
)
def test_a_list_update(
    status: str, frozen: bool, sanctioned: bool, screening: str, action: str, now_sanctioned: bool
) -> None:
    decision = decide_rescreen(status, frozen, sanctioned, screening)  # type: ignore[arg-type]
    assert (decision.action, decision.sanctioned) == (action, now_sanctioned)
