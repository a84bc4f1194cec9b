"""Application decisions and what a list update does to existing customers."""

from __future__ import annotations

import datetime as dt

import pytest

from services.kyc.domain.onboarding import (
    birth_date_refusal,
    decide_application,
    decide_rescreen,
)


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


NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("born", "refusal"),
    [
        (dt.date(1990, 5, 17), None),
        (dt.date(1900, 1, 1), None),
        (dt.date(1899, 12, 31), "date_of_birth_before_1900"),
        (dt.date(2026, 12, 2), None),  # already 2 December in UTC+14
        (dt.date(2026, 12, 3), "date_of_birth_in_future"),
        (dt.date(9999, 12, 31), "date_of_birth_in_future"),
    ],
)
def test_a_birth_date_must_be_possible(born: dt.date, refusal: str | None) -> None:
    assert birth_date_refusal(born, NOW) == refusal


def test_an_impossible_date_rejects_the_application_after_a_sanctions_hit() -> None:
    rejected = decide_application("review", "standard", "date_of_birth_in_future")
    assert (rejected.status, rejected.reason, rejected.sanctioned) == (
        "rejected", "date_of_birth_in_future", False
    )  # fmt: skip
    hit = decide_application("hit", "standard", "date_of_birth_in_future")
    assert (hit.reason, hit.sanctioned) == ("sanctions_match", True)
