"""The ledger's pure rules: mint eligibility (a deposit settlement told of, a verified
customer's own wallet), proof of reserve against issuance's own view of it, hold refusals,
and the supply check naming every broken invariant (a hold's life is driven through the
use cases in test_use_cases.py)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from schemas.money import MAX_MINOR_UNITS
from services.issuance.domain.holds import (
    hold_refusal,
)
from services.issuance.domain.mints import deposit_refusal, mint_refusal, reserve_refusal
from services.issuance.domain.outcomes import Refusal
from services.issuance.domain.supply import Supply
from services.issuance.domain.views import CustomerView, DepositView, WalletView

CUSTOMER, WALLET = uuid.uuid4(), uuid.uuid4()
GOOD_WALLET = WalletView(WALLET, CUSTOMER, True, "verified", False)
GOOD_CUSTOMER = CustomerView(CUSTOMER, "verified", False)


def reason(refusal: Refusal[str] | None) -> str | None:
    return refusal.reason if refusal else None


def test_mint_goes_only_to_a_verified_customers_own_unfrozen_registered_wallet() -> None:
    def refused(wallet: WalletView | None, customer: CustomerView | None) -> str | None:
        return reason(mint_refusal(CUSTOMER, wallet, customer))

    w, c = GOOD_WALLET, GOOD_CUSTOMER
    assert refused(w, c) is None
    assert refused(None, c) == "unknown_wallet"
    assert refused(WalletView(WALLET, CUSTOMER, False, None, True), c) == "unknown_wallet"
    assert refused(WalletView(WALLET, uuid.uuid4(), True, "verified", False), c) == (
        "wallet_not_theirs"
    )
    assert refused(WalletView(WALLET, CUSTOMER, True, "pending", False), c) == "wallet_not_theirs"
    assert refused(w, None) == "customer_not_verified"
    for status in ("pending", "rejected", "referred"):
        assert refused(w, CustomerView(CUSTOMER, status, False)) == "customer_not_verified"
    assert refused(w, CustomerView(CUSTOMER, "verified", True)) == "customer_frozen"
    assert refused(WalletView(WALLET, CUSTOMER, True, "verified", True), c) == "wallet_frozen"


def test_mint_only_for_a_deposit_settlement_told_of_to_its_wallet_for_its_amount() -> None:
    deposit = DepositView(uuid.uuid4(), CUSTOMER, WALLET, 5_000_000, refunded=False)

    def refused(deposit: DepositView | None, amount: int = 5_000_000) -> str | None:
        return reason(deposit_refusal(CUSTOMER, WALLET, amount, deposit))

    assert refused(deposit) is None
    assert refused(None) == "unknown_deposit"  # not yet, or never: nothing backs it
    assert refused(deposit, 5_000_001) == "deposit_mismatch"
    assert refused(DepositView(deposit.deposit_id, CUSTOMER, uuid.uuid4(), 5_000_000, False)) == (
        "deposit_mismatch"
    )
    assert refused(DepositView(deposit.deposit_id, uuid.uuid4(), WALLET, 5_000_000, False)) == (
        "deposit_mismatch"
    )
    assert refused(DepositView(deposit.deposit_id, CUSTOMER, WALLET, 5_000_000, True)) == (
        "deposit_refunded"
    )


amounts = st.integers(min_value=0, max_value=10**15)


@given(supply=amounts, amount=amounts, reserve_fen=st.integers(-MAX_MINOR_UNITS, MAX_MINOR_UNITS))
def test_a_mint_never_takes_supply_above_the_reserve_at_par(
    supply: int, amount: int, reserve_fen: int
) -> None:
    refusal = reserve_refusal(supply, amount, reserve_fen)
    # a fen is 10^4 token units: exact integer comparison, no rounding anywhere
    assert (refusal is None) == (supply + amount <= reserve_fen * 10_000)
    assert refusal is None or refusal.reason == "reserve_shortfall"


def test_a_mint_at_exactly_the_reserve_passes_and_one_unit_more_does_not() -> None:
    reserve_fen = 100_00  # 100 CNH
    assert reserve_refusal(60_000_000, 40_000_000, reserve_fen) is None
    assert reason(reserve_refusal(60_000_000, 40_000_001, reserve_fen)) == "reserve_shortfall"


def test_holds_need_a_known_unfrozen_wallet_with_the_tokens() -> None:
    assert hold_refusal(GOOD_WALLET, GOOD_CUSTOMER, 10, 10) is None
    assert reason(hold_refusal(GOOD_WALLET, GOOD_CUSTOMER, 9, 10)) == "insufficient_balance"
    assert reason(hold_refusal(None, None, None, 1)) == "unknown_wallet"
    assert reason(hold_refusal(GOOD_WALLET, GOOD_CUSTOMER, None, 1)) == "unknown_wallet"
    frozen = WalletView(WALLET, CUSTOMER, True, "verified", True)
    assert reason(hold_refusal(frozen, GOOD_CUSTOMER, 10, 1)) == "wallet_frozen"
    frozen_customer = CustomerView(CUSTOMER, "verified", True)
    assert reason(hold_refusal(GOOD_WALLET, frozen_customer, 10, 1)) == "wallet_frozen"


def test_the_supply_check_names_every_broken_invariant() -> None:
    healthy = Supply(100, 30, 60, 10, 100, 30, 10, 0)
    assert healthy.violations() == []
    assert "invariant minted - burned == balances + holds: holds" in healthy.render()
    broken = Supply(100, 30, 61, 10, 100, 29, 9, 1)
    assert len(broken.violations()) == 4
    assert "BROKEN" in broken.render()
