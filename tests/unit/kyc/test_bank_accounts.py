"""Beneficiary accounts, first party only: the holder name against the KYC name, the
registration decision, what the bank's answer does to an account being checked, and the
details at rest."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.exceptions import InvalidTag

from schemas.settlement import BankAccount
from services.kyc import pii
from services.kyc.crypto import KeyRing
from services.kyc.domain.accounts import (
    Registered,
    bank_answered,
    decide_registration,
    holder_is,
)

ALICE = ("Alice Wong",)
ACME = ("Acme Trading Limited", "Acme", "Acme Harbour Foods")


@pytest.mark.parametrize(
    "holder",
    ["Alice Wong", "ALICE WONG", "alice  wong", " Alice Wong ", "Wong, Alice", "WONG Alice",
     "Alice-Wong", "Alicé Wong"],
)  # fmt: skip
def test_case_spacing_punctuation_accents_and_order_do_not_matter(holder: str) -> None:
    assert holder_is(holder, ALICE)


@pytest.mark.parametrize(
    "holder", ["Alice Wang", "Alice W", "Alice Wong Tai", "Bob Lam", "Mrs Alice Wong", "", "--"]
)
def test_any_other_name_is_not_the_customer(holder: str) -> None:
    assert not holder_is(holder, ALICE)


def test_a_company_may_hold_it_under_its_legal_or_a_trading_name() -> None:
    assert holder_is("ACME TRADING LIMITED", ACME)
    assert holder_is("Acme Harbour Foods", ACME)
    assert not holder_is("Acme Trading Ltd", ACME)  # an abbreviation is another name


def test_a_verified_customer_s_own_name_is_sent_to_the_bank() -> None:
    assert decide_registration("verified", "Alice Wong", ALICE, None) == "check"


@pytest.mark.parametrize(
    ("status", "holder", "expected"),
    [
        (None, "Alice Wong", "unknown_customer"),
        ("referred", "Alice Wong", "customer_not_verified"),
        ("rejected", "Alice Wong", "customer_not_verified"),
        ("verified", "Mallory Chan", "name_mismatch"),
    ],
)
def test_a_registration_is_refused_before_the_bank_is_asked(
    status: str | None, holder: str, expected: str
) -> None:
    assert decide_registration(status, holder, ALICE, None) == expected  # type: ignore[arg-type]


def test_an_account_id_is_decided_once() -> None:
    same = Registered(customer_id_matches=True, same_details=True, state="verified")
    assert decide_registration("verified", "Alice Wong", ALICE, same) == "unchanged"
    other_details = Registered(customer_id_matches=True, same_details=False, state="checking")
    assert decide_registration("verified", "Alice Wong", ALICE, other_details) == (
        "account_conflict"
    )
    someone_elses = Registered(customer_id_matches=False, same_details=True, state="verified")
    assert decide_registration("verified", "Alice Wong", ALICE, someone_elses) == (
        "account_conflict"
    )


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("match", "verified"),
        ("mismatch", "bank_name_mismatch"),
        ("not_found", "bank_account_not_found"),
        ("closed", "bank_account_closed"),
        (None, "check_failed"),
    ],
)
def test_the_bank_s_answer_decides_an_account_being_checked(
    result: str | None, expected: str
) -> None:
    assert bank_answered("checking", result) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("state", ["verified", "refused"])
def test_an_answer_for_a_decided_account_changes_nothing(state: str) -> None:
    assert bank_answered(state, "closed") == "duplicate"  # type: ignore[arg-type]
    assert bank_answered(state, "match") == "duplicate"  # type: ignore[arg-type]


def test_an_account_at_rest_opens_only_on_its_own_row() -> None:
    ring = KeyRing.parse(f"k1:{base64.b64encode(b'k' * 32).decode()}", "k1")
    account = BankAccount(
        holder_name="Alice Wong", account_number="012-345678-001", bank_code="004", country="HK"
    )
    customer, account_id = uuid.uuid4(), uuid.uuid4()
    sealed = pii.seal_account(ring, customer, account_id, account)
    assert b"012-345678-001" not in sealed.blob
    assert pii.open_account(ring, customer, account_id, sealed.key_id, sealed.blob) == account
    for elsewhere in ((uuid.uuid4(), account_id), (customer, uuid.uuid4())):
        with pytest.raises(InvalidTag):
            pii.open_account(ring, *elsewhere, sealed.key_id, sealed.blob)
