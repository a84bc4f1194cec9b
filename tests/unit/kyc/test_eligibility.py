"""Eligibility rules: their order, due diligence at HK$8,000, and the two limits."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kyc.domain.eligibility import (
    TOKEN_MINOR,
    BeneficiaryView,
    CustomerView,
    Policy,
    Refusal,
    Signed,
    TierLimits,
    WalletView,
    check,
)

POLICY = Policy(
    limits={
        "basic": TierLimits(5_000 * TOKEN_MINOR, 10_000 * TOKEN_MINOR),
        "standard": TierLimits(100_000 * TOKEN_MINOR, 500_000 * TOKEN_MINOR),
        "enhanced": TierLimits(5_000_000 * TOKEN_MINOR, 20_000_000 * TOKEN_MINOR),
    },
    due_diligence_threshold_hkd=8_000,
    cnh_hkd_rate=Decimal("1.15"),
)
ME = uuid.uuid4()
GOOD = CustomerView("verified", "standard", "standard", frozen=False, sanctioned=False)
BASIC = CustomerView("verified", "basic", "simplified", frozen=False, sanctioned=False)
ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
MINE = WalletView(ME, ADDRESS, proof_verified=True, frozen=False)
MY_ACCOUNT = BeneficiaryView(ME, "verified")
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
SIGNED = Signed(signer=ADDRESS, deadline=int(NOW.timestamp()) + 60)
"""Signed by the wallet's key, in time (tests/unit/kyc/test_signed_requests.py: the rest)."""


def refused(
    customer: CustomerView | None,
    wallet: WalletView | None,
    amount_minor: int,
    reserved_minor: int,
    signed: Signed = SIGNED,
    beneficiary: BeneficiaryView | None = MY_ACCOUNT,
) -> Refusal | None:
    return check(
        POLICY, ME, customer, wallet, beneficiary, amount_minor, reserved_minor, signed, NOW
    )


def reason(
    customer: CustomerView | None = GOOD,
    wallet: WalletView | None = MINE,
    tokens: int = 10,
    reserved: int = 0,
    beneficiary: BeneficiaryView | None = MY_ACCOUNT,
) -> str | None:
    refusal = refused(
        customer, wallet, tokens * TOKEN_MINOR, reserved * TOKEN_MINOR, beneficiary=beneficiary
    )
    return refusal.reason if refusal else None


def test_an_eligible_redemption() -> None:
    assert reason() is None


@pytest.mark.parametrize(
    ("customer", "wallet", "expected"),
    [
        # the wallet and the signature first: nobody learns about a customer it cannot sign for
        (CustomerView("rejected", "basic", "standard", True, True), None, "wallet_not_theirs"),
        (GOOD, WalletView(uuid.uuid4(), ADDRESS, True, True), "wallet_not_theirs"),
        (None, MINE, "not_verified"),
        (CustomerView("referred", "basic", "standard", False, False), MINE, "not_verified"),
        # a rejected, frozen, sanctioned customer: the first rule answers
        (CustomerView("rejected", "basic", "standard", True, True), MINE, "customer_rejected"),
        (CustomerView("verified", "basic", "standard", True, True), MINE, "customer_frozen"),
        (CustomerView("verified", "basic", "standard", False, True), MINE, "sanctioned"),
        (GOOD, WalletView(ME, ADDRESS, False, True), "wallet_not_theirs"),  # proof pending
        (GOOD, WalletView(ME, ADDRESS, True, True), "wallet_frozen"),
    ],
)
def test_rules_apply_in_order(
    customer: CustomerView | None, wallet: WalletView | None, expected: str
) -> None:
    assert reason(customer, wallet) == expected


@pytest.mark.parametrize(
    ("beneficiary", "expected"),
    [
        (None, "beneficiary_unknown"),
        (BeneficiaryView(uuid.uuid4(), "verified"), "beneficiary_not_theirs"),
        (BeneficiaryView(ME, "checking"), "beneficiary_not_verified"),
        (BeneficiaryView(ME, "refused"), "beneficiary_not_verified"),
    ],
)
def test_the_payout_goes_only_to_a_verified_account_of_theirs(
    beneficiary: BeneficiaryView | None, expected: str
) -> None:
    assert reason(beneficiary=beneficiary) == expected


def test_the_beneficiary_is_checked_after_the_wallet_and_before_the_limits() -> None:
    assert reason(wallet=None, beneficiary=None) == "wallet_not_theirs"
    assert reason(BASIC, tokens=9_000, beneficiary=None) == "beneficiary_unknown"


def test_due_diligence_is_checked_before_the_limits() -> None:
    # 9,000 tokens: over the basic per-transaction limit, but evidence comes first
    assert reason(BASIC, tokens=9_000) == "due_diligence_required"
    assert reason(BASIC, tokens=6_000) == "over_transaction_limit"  # HK$6,900 only


# the smallest token amount worth HK$8,000 at 1.15: 6,956.521739... -> 6,956.521740
THRESHOLD_MINOR = 6_956_521_740


@given(st.integers(min_value=0, max_value=10**13))
def test_due_diligence_starts_exactly_at_hk_8000_equivalent(amount_minor: int) -> None:
    assert POLICY.needs_due_diligence(amount_minor) == (amount_minor >= THRESHOLD_MINOR)


def test_the_threshold_boundary() -> None:
    assert not POLICY.needs_due_diligence(THRESHOLD_MINOR - 1)
    assert POLICY.needs_due_diligence(THRESHOLD_MINOR)


@given(
    tier=st.sampled_from(["basic", "standard", "enhanced"]),
    amount=st.integers(min_value=0, max_value=25_000_000 * TOKEN_MINOR),
    reserved=st.integers(min_value=0, max_value=25_000_000 * TOKEN_MINOR),
)
def test_a_passing_check_never_exceeds_either_limit(tier: str, amount: int, reserved: int) -> None:
    customer = CustomerView("verified", tier, "enhanced", False, False)  # type: ignore[arg-type]
    refusal = refused(customer, MINE, amount, reserved)
    limits = POLICY.limits[customer.tier]
    if refusal is None:
        assert amount <= limits.per_transaction
        assert reserved + amount <= limits.daily
    elif amount <= limits.per_transaction:
        assert refusal.reason == "over_daily_limit"
        assert reserved + amount > limits.daily
    else:
        assert refusal.reason == "over_transaction_limit"


def test_details_carry_amounts_not_people() -> None:
    refusal = refused(BASIC, MINE, 4_000 * TOKEN_MINOR, 8_000 * TOKEN_MINOR)
    assert refusal is not None
    assert refusal.reason == "over_daily_limit"
    assert "4000.000000 XCNH" in refusal.detail
    assert "10000.000000 XCNH" in refusal.detail
