"""Beneficiary accounts: first-party only. A customer's payouts go to a bank account held in
their own name, which KYC checks twice: the holder name against the customer's KYC name
(here), then the bank's own record of the account (the bank's account check, through
settlement).

    registered ──name is the customer's──> checking ──bank: match──> verified
        │                                     └──bank: mismatch, not found, closed──> refused
        └──not the customer's name, customer not verified, id taken──> refused

A registration names its account id; one id is decided once (a re-sent registration with
the same details changes nothing). A refusal before anything is stored (unknown or not yet
verified customer) keeps nothing, so the same registration may be sent again later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas.kyc import BankAccountRefusal
from schemas.settlement import AccountCheckResult
from services.kyc.domain.onboarding import Status
from services.kyc.domain.text import normalise

State = Literal["checking", "verified", "refused"]


def name_key(name: str) -> tuple[str, ...]:
    """What two spellings of one name share: case, accents, punctuation, spacing and the
    order of the name's parts never matter ("WONG, Alice" is "Alice Wong"); every letter of
    every part does."""
    return tuple(sorted(normalise(name).split()))


def holder_is(holder_name: str, kyc_names: Iterable[str]) -> bool:
    """Whether the account's holder name is one of the customer's KYC names (a person's
    full name; a company's legal name or one of its trading names)."""
    holder = name_key(holder_name)
    return bool(holder) and any(holder == name_key(name) for name in kyc_names)


@dataclass(frozen=True)
class Registered:
    """What KYC holds about an account id already registered."""

    customer_id_matches: bool
    same_details: bool
    state: State


Registration = Literal["check", "unchanged"]


def decide_registration(
    customer: Status | None,
    holder_name: str,
    kyc_names: Iterable[str],
    existing: Registered | None,
) -> Registration | BankAccountRefusal:
    """ "check" (ask the bank), "unchanged" (a re-sent registration), or why it is refused."""
    if existing is not None:
        if not (existing.customer_id_matches and existing.same_details):
            return "account_conflict"
        return "unchanged"
    if customer is None:
        return "unknown_customer"
    if customer != "verified":
        return "customer_not_verified"
    if not holder_is(holder_name, kyc_names):
        return "name_mismatch"
    return "check"


_BANK_REFUSALS: dict[AccountCheckResult, BankAccountRefusal] = {
    "mismatch": "bank_name_mismatch",
    "not_found": "bank_account_not_found",
    "closed": "bank_account_closed",
}

Checked = Literal["verified", "duplicate"] | BankAccountRefusal


def bank_answered(state: State, result: AccountCheckResult | None) -> Checked:
    """The bank's answer for an account being checked: verified, or refused for the bank's
    reason (None: settlement could not even read the check); an answer for an account
    decided already changes nothing ("duplicate")."""
    if state != "checking":
        return "duplicate"
    if result is None:
        return "check_failed"
    return "verified" if result == "match" else _BANK_REFUSALS[result]
