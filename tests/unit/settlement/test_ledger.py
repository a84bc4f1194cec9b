"""Journal templates: each balances per currency, and whole lifecycles net out as they
should (what is left is only what really moved)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.settlement.domain import ledger
from services.settlement.domain.ledger import Entry, LedgerError, Line, Side
from tests.support.money import cnh, money

amounts = st.integers(min_value=1, max_value=10**15)
currencies = st.sampled_from(["CNH", "HKD", "USD", "EUR", "JPY"])


def net(*entries: Entry) -> dict[str, int]:
    """Balances (normal side) after the entries, zero accounts left out."""
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            totals[line.code] += ledger.balance_effect(line)
    return {code: value for code, value in totals.items() if value}


@given(amounts, amounts, currencies)
def test_every_template_balances_per_currency(a: int, p: int, currency: str) -> None:
    amount, par = money(a, currency), cnh(p)
    for entry in (
        ledger.deposit_matched(par),
        ledger.deposit_unmatched(par),
        ledger.mint_confirmed(par),
        ledger.mint_rejected(par),
        ledger.payout_ordered(amount, par),
        ledger.payout_failed(amount, par),
        ledger.payout_settled(amount),
        ledger.payout_returned(amount, "nostro"),
        ledger.reserve_released(par),
        ledger.refund_ordered(par),
        ledger.refund_settled(par),
        ledger.refund_failed(par),
    ):
        assert set(ledger.per_currency(entry.lines).values()) == {0}, entry.template


@given(amounts, st.integers(min_value=0, max_value=10**6), currencies)
def test_a_redemption_lifecycle_moves_only_the_reserve_and_the_circulation(
    p: int, fee: int, currency: str
) -> None:
    par = cnh(p)
    amount = cnh(max(1, p - fee)) if currency == "CNH" else money(p * 3 + 1, currency)
    entries = (
        ledger.deposit_matched(par),
        ledger.mint_confirmed(par),
        ledger.payout_ordered(amount, par),
        ledger.payout_settled(amount),
        ledger.reserve_released(par),
    )
    left = net(*entries)
    fees = left.pop("fees:CNH", 0)
    fx = left.pop("fx_clearing:CNH", 0)
    # everything the deposit brought in left the reserve again, every tokens' liability is
    # gone; a CNH payout below par leaves the fee, still held by the paying side (the
    # reserve sent P, the customer got A)
    assert left == {}
    expected_fee = par.amount_minor - amount.amount_minor if currency == "CNH" else 0
    assert fees == fx == expected_fee


@given(amounts, amounts)
def test_a_failed_payout_leaves_nothing_behind(a: int, p: int) -> None:
    assert (
        net(
            ledger.payout_ordered(money(a, "HKD"), cnh(p)),
            ledger.payout_failed(money(a, "HKD"), cnh(p)),
        )
        == {}
    )


@given(amounts)
def test_a_returned_payout_lands_in_suspense_and_keeps_the_history(a: int) -> None:
    amount = money(a, "USD")
    left = net(ledger.payout_settled(amount), ledger.payout_returned(amount, "nostro"))
    assert left == {
        "nostro:USD": a,
        "customer_payable:USD": -a,
        "suspense:USD": a,
        "fx_clearing:USD": -a,
    }


def test_entries_that_break_the_rules_are_refused() -> None:
    with pytest.raises(LedgerError, match="unbalanced"):
        Entry(
            "t",
            (Line("reserve_bank", "CNH", Side.DEBIT, 2), Line("suspense", "CNH", Side.CREDIT, 1)),
        )
    with pytest.raises(LedgerError, match="unbalanced"):
        Entry("t", (Line("nostro", "HKD", Side.DEBIT, 1), Line("suspense", "USD", Side.CREDIT, 1)))
    with pytest.raises(LedgerError, match="holds CNH"):
        Entry(
            "t",
            (Line("reserve_bank", "HKD", Side.DEBIT, 1), Line("suspense", "HKD", Side.CREDIT, 1)),
        )
    with pytest.raises(LedgerError, match="not in the chart"):
        Entry("t", (Line("cash", "HKD", Side.DEBIT, 1), Line("suspense", "HKD", Side.CREDIT, 1)))
    with pytest.raises(LedgerError, match="two lines"):
        Entry("t", (Line("nostro", "HKD", Side.DEBIT, 1),))
    with pytest.raises(LedgerError, match="positive"):
        Entry("t", (Line("nostro", "HKD", Side.DEBIT, 0), Line("suspense", "HKD", Side.CREDIT, 0)))
    with pytest.raises(LedgerError, match="tokens"):
        Entry(
            "t", (Line("nostro", "XCNH", Side.DEBIT, 1), Line("suspense", "XCNH", Side.CREDIT, 1))
        )


def test_a_cnh_payout_above_par_is_a_cost_to_the_issuer() -> None:
    left = net(ledger.payout_ordered(cnh(105), cnh(100)))
    assert left["fees:CNH"] == -5


def test_the_entries_that_move_the_reserve_are_the_ones_told_to_issuance() -> None:
    p, usd = cnh(100_00), money(13_60, "USD")
    moves = {
        entry.template: ledger.reserve_change(entry)
        for entry in (
            ledger.deposit_matched(p), ledger.deposit_unmatched(p), ledger.deposit_rematched(p),
            ledger.mint_confirmed(p), ledger.mint_rejected(p), ledger.payout_ordered(usd, p),
            ledger.payout_failed(usd, p), ledger.payout_settled(usd),
            ledger.reserve_released(p), ledger.refund_ordered(p), ledger.refund_settled(p),
            ledger.refund_failed(p),
        )
    }  # fmt: skip
    assert {template: change for template, change in moves.items() if change} == {
        "deposit_matched": 100_00,
        "deposit_unmatched": 100_00,
        "reserve_released": -100_00,
        "refund_settled": -100_00,
    }
    assert ledger.reserve_change(ledger.payout_returned(p, "reserve_bank")) == 100_00
    assert ledger.reserve_change(ledger.payout_returned(usd, "nostro")) == 0
