"""Deposits: the id of a bank credit, matching its remittance text to a wallet, what the
books can take, the ids of each mint attempt's steps, and the deposit state machine.

    received ──matched──> minting ──minted──> confirmed
        │  │                 └──mint_refused──> suspended ──mint_retried──> minting
        │  └──unmatched──> suspended ──refund_ordered (operator)──> refunding
        │                     ^   ^                                   │
        │                     │   └────────refund_failed──────────────┤
        │                     └──refund_returned── refunded <──refund_settled
        └──zero amount, or beyond the reserve limit──> refused (not booked; an anomaly for
                                                        an operator, who settles it with the bank)

An event the table does not allow in the deposit's state changes nothing: it is recorded
as an anomaly for an operator (a Minted for a deposit already suspended, a second refund).
"""

from __future__ import annotations

import re
import uuid
from typing import Literal

from schemas.ids import derive_id
from schemas.money import MAX_MINOR_UNITS, TOKEN, Money, par_cnh

_DEPOSITS = uuid.UUID("2f9d3c1e-8a41-4d5e-b6c0-5a3e7f9d1c20")
_REFERENCE = re.compile(r"CNH-[A-Z0-9]{10}")

MAX_RESERVE_MINOR = par_cnh(Money(amount_minor=MAX_MINOR_UNITS, currency=TOKEN)).amount_minor
"""The most CNH the reserve account may hold on the books (10^12 CNH): the par value of
the largest supply an amount can state. Every figure derived from the reserve (a mint's
tokens and `reserve_balance`, the attestation's reserve and suspense) then stays within the
amount bound, with four orders of magnitude to spare for transactions that book deposits
side by side (each sees the reserve as it was plus its own deposits)."""

Refusal = Literal["zero_amount", "over_reserve_limit"]

State = Literal["minting", "confirmed", "suspended", "refunding", "refunded", "refused"]
Event = Literal[
    "minted",
    "mint_refused",
    "mint_retried",
    "refund_ordered",
    "refund_settled",
    "refund_failed",
    "refund_returned",
]

_MOVES: dict[Event, tuple[frozenset[str], State]] = {
    "minted": (frozenset({"minting"}), "confirmed"),
    "mint_refused": (frozenset({"minting"}), "suspended"),
    "mint_retried": (frozenset({"suspended"}), "minting"),
    "refund_ordered": (frozenset({"suspended"}), "refunding"),
    "refund_settled": (frozenset({"refunding"}), "refunded"),
    "refund_failed": (frozenset({"refunding"}), "suspended"),
    "refund_returned": (frozenset({"refunded"}), "suspended"),
}


def arrival(matched: bool) -> State:
    """A booked deposit's first state: minting if its reference named a known wallet."""
    return "minting" if matched else "suspended"


def move(current: str, event: Event) -> State | None:
    """The state `event` takes a deposit in `current` to, or None where it may not happen."""
    allowed, target = _MOVES[event]
    return target if current in allowed else None


def deposit_id(bank_reference: str) -> uuid.UUID:
    """One deposit per bank credit: the bank reference identifies it, so a notification
    delivered again (under any message id) names the same deposit."""
    return derive_id(_DEPOSITS, bank_reference)


def deposit_reference_in(remittance: str) -> str | None:
    """The customer's deposit reference ("CNH-" + 10 characters) in a payer's free text,
    which banks pass on in any case and with any surrounding words. None if there is none,
    or if there are several different ones (ambiguous: an operator decides)."""
    found = set(_REFERENCE.findall(remittance.upper()))
    return found.pop() if len(found) == 1 else None


def refusal(amount: Money, reserve_minor: int) -> Refusal | None:
    """Why a bank credit cannot be booked on a reserve of `reserve_minor`, or None. A
    credit of nothing moves no money and would mint nothing; one beyond the reserve limit
    could be booked but would break every sum after it (see MAX_RESERVE_MINOR)."""
    if amount.amount_minor == 0:
        return "zero_amount"
    if reserve_minor + amount.amount_minor > MAX_RESERVE_MINOR:
        return "over_reserve_limit"
    return None


def attempt_id(deposit: uuid.UUID, attempt: int, *step: str) -> uuid.UUID:
    """The id of a step of the deposit's `attempt`-th mint (its refusal, its suspension):
    each attempt's own, so a mint refused again is a new fact, not a clash with the first.
    The first attempt keeps the id such a step always had."""
    return derive_id(deposit, *step) if attempt <= 1 else derive_id(deposit, *step, str(attempt))
