"""The deposit state machine (domain/deposits.py): each event moves a deposit only from the
states the table allows."""

from __future__ import annotations

import pytest

from services.settlement.domain.deposits import arrival, move


def test_a_matched_deposit_mints_and_an_unmatched_one_waits_in_suspense() -> None:
    assert arrival(matched=True) == "minting"
    assert arrival(matched=False) == "suspended"


def test_minting_ends_confirmed_or_in_suspense_and_suspense_may_mint_again() -> None:
    assert move("minting", "minted") == "confirmed"
    assert move("minting", "mint_refused") == "suspended"
    assert move("suspended", "mint_retried") == "minting"


def test_a_refund_from_suspense_ends_refunded_or_back_in_suspense() -> None:
    assert move("suspended", "refund_ordered") == "refunding"
    assert move("refunding", "refund_settled") == "refunded"
    assert move("refunding", "refund_failed") == "suspended"
    assert move("refunded", "refund_returned") == "suspended"  # the payer's bank sent it back


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("confirmed", "minted"),  # a Minted delivered again
        ("suspended", "minted"),  # a Minted for a mint already refused
        ("confirmed", "refund_ordered"),  # tokens were minted for it: not the operator's to refund
        ("refunding", "refund_ordered"),  # one refund at a time
        ("refused", "refund_ordered"),  # never booked: nothing to pay back
        ("refunding", "mint_retried"),  # the money is on its way back to the payer
        ("refunding", "refund_returned"),  # only a settled refund can come back
    ],
)
def test_an_event_its_state_does_not_allow_moves_nothing(state: str, event: str) -> None:
    assert move(state, event) is None  # type: ignore[arg-type]
