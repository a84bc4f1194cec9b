"""The bank sandbox's table: an account number's ending chooses what the bank does."""

from __future__ import annotations

import pytest

from simulators.bank.behaviours import account_check_of, behaviour_of


def test_magic_account_numbers_choose_the_bank_behaviour() -> None:
    assert behaviour_of("012-345678-0001") == "invalid_account"
    assert behaviour_of("012-345678-0003") == "timeout_executed"
    assert behaviour_of("012-345678-0006") == "timeout_lost"
    assert behaviour_of("012-345678-1001") == "settles"


@pytest.mark.parametrize(
    ("number", "answer"),
    [
        ("HK-004-123456-0091", "not_found"),
        ("HK-004-123456-0092", "closed"),
        ("HK-004-123456-0093", "mismatch"),
        ("HK-004-123456-0002", "match"),  # a payout behaviour, not a check's
        ("012345678", "match"),
    ],
)
def test_the_bank_checks_an_account_by_its_number_s_ending(number: str, answer: str) -> None:
    assert account_check_of(number) == answer
