"""The simulated bank's orders, pure: their fate by account ending and rail, over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulators.bank.orders import Delays, OrderRequest, lines_of, new_order, status_at

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
DELAYS = Delays(settle_s=2.0, late_s=60.0, return_s=300.0)


def request(account: str = "012-345678-9999", **fields: Any) -> OrderRequest:
    body = {
        "amount_minor": 10_000,
        "currency": "HKD",
        "beneficiary": {"account_number": account, "bank_code": "004", "holder_name": "A"},
        "rail": "FPS",
        **fields,
    }
    return OrderRequest.model_validate(body)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_fps_settles_at_once_and_chats_after_the_rail_delay() -> None:
    fps = new_order(request(), T0, DELAYS)
    chats = new_order(request(rail="CHATS"), T0, DELAYS)
    swift = new_order(request(rail="SWIFT"), T0, DELAYS)
    assert status_at(fps, T0) == ("settled", None)
    assert status_at(chats, at(1.9)) == ("accepted", None)
    assert status_at(chats, at(2)) == ("settled", None)
    assert status_at(swift, at(3.9)) == ("accepted", None)


def test_refused_accounts_are_rejected_at_once_and_book_nothing() -> None:
    for ending, reason in (("-0001", "invalid_account"), ("-0002", "closed_account")):
        order_request = request(f"012-345678{ending}")
        order = new_order(order_request, T0, DELAYS)
        assert status_at(order, T0) == ("rejected", reason)
        assert lines_of(order, order_request) == []


def test_a_returned_payment_is_debited_then_credited_back() -> None:
    order_request = request("012-345678-0005")
    order = new_order(order_request, T0, DELAYS)
    assert status_at(order, at(299)) == ("settled", None)
    assert status_at(order, at(300)) == ("returned", "account_closed_after_credit")
    debit, credit = lines_of(order, order_request)
    assert (debit.direction, debit.booked_at) == ("debit", T0)
    assert (credit.direction, credit.booked_at) == ("credit", at(300))


def test_the_beneficiarys_bank_refuses_after_acceptance_and_nothing_is_debited() -> None:
    order_request = request("012-345678-0007", rail="CHATS")
    order = new_order(order_request, T0, DELAYS)
    assert status_at(order, T0) == ("accepted", None)
    assert status_at(order, at(2)) == ("rejected", "beneficiary_bank_rejected")
    assert lines_of(order, order_request) == []


def test_the_sandbox_timeouts_get_no_answer_and_only_the_executed_one_is_booked() -> None:
    executed = new_order(request("012-345678-0003"), T0, DELAYS)
    lost = new_order(request("012-345678-0006"), T0, DELAYS)
    assert (executed.answered, executed.booked) == (False, True)
    assert (lost.answered, lost.booked) == (False, False)


def test_the_digest_tells_another_body_from_the_same() -> None:
    assert request().digest() == request().digest()
    assert request().digest() != request(amount_minor=10_001).digest()
