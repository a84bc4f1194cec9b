"""The attestation's backing checks (pure): coverage, and something behind every mint,
payout and reserve movement; and the alert once per distinct exception state."""

from __future__ import annotations

import datetime as dt
import uuid

from services.settlement.domain.backing import (
    TOKENS_PER_FEN,
    BackingException,
    Deposit,
    Facts,
    Figures,
    Mint,
    Payout,
    ReserveLine,
    coverage,
    exceptions_of,
    fingerprint,
    should_alert,
    unbacked_mints,
    unbacked_payouts,
    unbacked_reserve_movements,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
GRACE = dt.timedelta(minutes=15)
DEPOSIT = Deposit(uuid.uuid4(), 100_00, "confirmed")


def kinds(found: list[BackingException]) -> list[str]:
    return [e.kind for e in found]


def test_coverage_holds_at_exactly_par_and_fails_one_token_unit_above() -> None:
    assert coverage(Figures(100_00 * TOKENS_PER_FEN, 100_00)) == []
    [short] = coverage(Figures(100_00 * TOKENS_PER_FEN + 1, 100_00))
    assert short.kind == "coverage_shortfall"
    assert short.amount_minor == 1  # a fen short, rounded up


def test_a_mint_needs_its_deposit_credited_for_minting_and_no_more_than_it() -> None:
    deposits = {DEPOSIT.deposit_id: DEPOSIT}
    backed = Mint(uuid.uuid4(), DEPOSIT.deposit_id, 100_00 * TOKENS_PER_FEN)
    assert unbacked_mints([backed], deposits) == []
    minting = {DEPOSIT.deposit_id: Deposit(DEPOSIT.deposit_id, 100_00, "minting")}
    assert unbacked_mints([backed], minting) == []  # the confirmation is in flight
    too_much = Mint(uuid.uuid4(), DEPOSIT.deposit_id, 100_00 * TOKENS_PER_FEN + 1)
    unknown = Mint(uuid.uuid4(), uuid.uuid4(), 1)
    refunded = {DEPOSIT.deposit_id: Deposit(DEPOSIT.deposit_id, 100_00, "refunded")}
    assert kinds(unbacked_mints([too_much, unknown], deposits)) == ["unbacked_mint"] * 2
    assert kinds(unbacked_mints([backed], refunded)) == ["unbacked_mint"]
    assert unbacked_mints([Mint(uuid.uuid4(), None, 5)], {}) == []  # recorded before links


def payout(state: str = "settled", age_s: float = 3600, **kw: object) -> Payout:
    fields: dict[str, object] = {
        "payout_id": uuid.uuid4(),
        "kind": "redemption",
        "redemption_id": uuid.uuid4(),
        "deposit_id": None,
        "par_minor": 50_00,
        "state": state,
        "submitted_at": NOW - dt.timedelta(seconds=age_s),
        "released": False,
    }
    return Payout(**{**fields, **kw})  # type: ignore[arg-type]


def test_a_payout_needs_its_tokens_burned_or_its_reserve_released() -> None:
    p = payout()
    assert p.redemption_id is not None
    burned = {p.redemption_id: 50_00 * TOKENS_PER_FEN}
    assert unbacked_payouts([p], burned, {}, NOW, GRACE) == []
    assert unbacked_payouts([payout(released=True)], {}, {}, NOW, GRACE) == []
    assert kinds(unbacked_payouts([p], {}, {}, NOW, GRACE)) == ["unbacked_payout"]
    short = {p.redemption_id: 50_00 * TOKENS_PER_FEN - 1}
    assert kinds(unbacked_payouts([p], short, {}, NOW, GRACE)) == ["unbacked_payout"]
    # in flight: too young, or its outcome unknown, or refused (no money moved)
    for waiting in (payout(age_s=60), payout("unknown"), payout("failed"), payout("rejected")):
        assert unbacked_payouts([waiting], {}, {}, NOW, GRACE) == []


def test_a_refund_needs_its_deposit_being_refunded() -> None:
    refund = payout(kind="refund", redemption_id=None, deposit_id=DEPOSIT.deposit_id)
    refunding = {DEPOSIT.deposit_id: Deposit(DEPOSIT.deposit_id, 100_00, "refunding")}
    assert unbacked_payouts([refund], {}, refunding, NOW, GRACE) == []
    confirmed = {DEPOSIT.deposit_id: DEPOSIT}
    assert kinds(unbacked_payouts([refund], {}, confirmed, NOW, GRACE)) == ["unbacked_payout"]


def line(template: str, side: str, amount: int, **causes: int) -> ReserveLine:
    return ReserveLine(
        uuid.uuid4(), template, side, amount,
        causes.get("deposit"), causes.get("refund"), causes.get("release"),
    )  # fmt: skip


def test_every_reserve_movement_has_its_own_cause_of_the_same_amount() -> None:
    backed = [
        line("deposit_matched", "D", 100_00, deposit=100_00),
        line("deposit_unmatched", "D", 7_00, deposit=7_00),
        line("refund_settled", "C", 7_00, refund=7_00),
        line("refund_returned", "D", 7_00, refund=7_00),
        line("reserve_released", "C", 40_00, release=40_00),
    ]
    balance = 100_00 + 7_00 - 7_00 + 7_00 - 40_00
    assert unbacked_reserve_movements(backed, balance) == []
    planted = [
        line("adjustment", "D", 1_000_00),  # not a reserve template
        line("deposit_matched", "D", 1_000_00),  # names no deposit
        line("deposit_matched", "D", 1_000_00, deposit=10_00),  # of another amount
        line("reserve_released", "D", 5_00, release=5_00),  # the wrong side
        line("refund_settled", "C", 5_00, deposit=5_00),  # a deposit is no refund
    ]
    net = 3 * 1_000_00 + 5_00 - 5_00
    found = unbacked_reserve_movements(planted, net)
    assert kinds(found) == ["unbacked_reserve_movement"] * 5
    [drift] = unbacked_reserve_movements(backed, balance + 1)
    assert drift.reference == "reserve_bank:CNH"


def test_exceptions_are_ordered_and_the_alert_is_sent_once_per_distinct_state() -> None:
    clean = Facts(Figures(0, 0), [], {}, [], {}, [], 0)
    assert exceptions_of(clean, NOW, GRACE) == []
    assert not should_alert(None, [])  # a clean ledger that never alerted: nothing
    broken = Facts(Figures(TOKENS_PER_FEN, 0), [], {}, [], {}, [line("x", "D", 1)], 1)
    found = exceptions_of(broken, NOW, GRACE)
    assert kinds(found) == ["coverage_shortfall", "unbacked_reserve_movement"]
    assert should_alert("", found)
    assert not should_alert(fingerprint(found), found)  # the next round: the same state
    reworded = [BackingException(e.kind, e.reference, e.amount_minor + 1, "other") for e in found]
    assert not should_alert(fingerprint(found), reworded)
    assert should_alert(fingerprint(found), found[:1])  # a different state
    assert should_alert(fingerprint(found), [])  # cleared: once
