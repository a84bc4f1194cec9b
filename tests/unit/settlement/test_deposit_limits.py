"""What the books can take from a bank credit, and the ids of each mint attempt's steps."""

from __future__ import annotations

import uuid

import pytest

from schemas.ids import derive_id
from schemas.money import MAX_MINOR_UNITS, par_tokens
from services.settlement.domain.deposits import MAX_RESERVE_MINOR, attempt_id, refusal
from tests.support.money import cnh


@pytest.mark.parametrize(
    ("amount", "reserve", "expected"),
    [
        (0, 0, "zero_amount"),
        (1, 0, None),
        (MAX_RESERVE_MINOR, 0, None),
        (MAX_RESERVE_MINOR - 5, 5, None),
        (MAX_RESERVE_MINOR - 5, 6, "over_reserve_limit"),
        (MAX_MINOR_UNITS, 0, "over_reserve_limit"),  # schema-valid, the bound itself
    ],
)
def test_a_credit_is_booked_only_within_the_reserve_limit(
    amount: int, reserve: int, expected: str | None
) -> None:
    assert refusal(cnh(amount), reserve) == expected


def test_what_the_reserve_limit_allows_stays_within_the_amount_bound() -> None:
    # the whole reserve minted at par is still a token amount
    assert par_tokens(cnh(MAX_RESERVE_MINOR)).amount_minor == MAX_MINOR_UNITS


def test_each_mint_attempt_has_its_own_step_ids_and_the_first_keeps_its_old_ones() -> None:
    deposit = uuid.uuid4()
    assert attempt_id(deposit, 1, "mint_rejected") == derive_id(deposit, "mint_rejected")
    assert attempt_id(deposit, 0, "suspended", "x") == derive_id(deposit, "suspended", "x")
    ids = {attempt_id(deposit, n, "mint_rejected") for n in range(1, 6)}
    assert len(ids) == 5
