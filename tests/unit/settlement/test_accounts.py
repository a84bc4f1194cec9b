"""Where a payout may go: a verified account on file of the redemption's own customer; and
KYC's decisions about an account on file, applied once and only to that customer's."""

from __future__ import annotations

import uuid

import pytest

from services.settlement.domain.accounts import OnFile, decide, payable

ME, SOMEONE = uuid.uuid4(), uuid.uuid4()


def test_a_verified_account_of_the_customer_is_payable() -> None:
    assert payable(OnFile(ME, "verified"), ME) is None


@pytest.mark.parametrize(
    ("on_file", "reason"),
    [
        (None, "beneficiary_unknown"),
        (OnFile(SOMEONE, "verified"), "beneficiary_not_theirs"),
        (OnFile(ME, "checked"), "beneficiary_not_verified"),
        (OnFile(ME, "refused"), "beneficiary_not_verified"),
    ],
)
def test_any_other_account_is_refused_with_a_typed_reason(
    on_file: OnFile | None, reason: str
) -> None:
    refusal = payable(on_file, ME)
    assert refusal is not None
    assert refusal.reason == reason


def test_kyc_decides_a_checked_account_once() -> None:
    assert decide(OnFile(ME, "checked"), ME, "verified") == "apply"
    assert decide(OnFile(ME, "checked"), ME, "refused") == "apply"
    assert decide(OnFile(ME, "verified"), ME, "verified") == "duplicate"
    assert decide(OnFile(ME, "refused"), ME, "verified") == "conflict"
    assert decide(OnFile(ME, "verified"), ME, "refused") == "conflict"


def test_a_decision_naming_another_customer_or_no_account_on_file_is_a_conflict() -> None:
    assert decide(OnFile(SOMEONE, "checked"), ME, "verified") == "conflict"
    assert decide(None, ME, "verified") == "conflict"
