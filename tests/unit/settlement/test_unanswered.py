"""What settlement does with a payout the bank gave no answer for (domain/payouts.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.settlement.domain.payouts import resolve_unanswered

GRACE = dt.timedelta(seconds=600)


def seconds(s: float) -> dt.timedelta:
    return dt.timedelta(seconds=s)


def test_an_order_the_bank_never_booked_is_submitted_again_well_inside_the_grace() -> None:
    assert resolve_unanswered("redemption", None, seconds(30), GRACE) == "resubmit"
    # later, reconciliation may declare it never executed: a late execution would pay a
    # payout already failed
    assert resolve_unanswered("redemption", None, seconds(300), GRACE) == "wait"


def test_a_refund_is_not_submitted_again() -> None:
    # its payer is not kept: reconciliation fails it, the deposit goes back to suspense
    assert resolve_unanswered("refund", None, seconds(30), GRACE) == "wait"


def test_an_order_the_bank_rejected_fails() -> None:
    assert resolve_unanswered("redemption", "rejected", seconds(30), GRACE) == "fail"
    assert resolve_unanswered("refund", "rejected", seconds(900), GRACE) == "fail"


@pytest.mark.parametrize("state", ["accepted", "settled", "returned"])
def test_an_order_the_bank_holds_waits_for_its_notice_or_statement(state: str) -> None:
    assert resolve_unanswered("redemption", state, seconds(30), GRACE) == "wait"
