"""Beneficiary accounts on file: where a redemption's payout may go.

    CheckBankAccount (KYC) ──the bank answered──> checked ──BankAccountVerified──> verified
                                                     └──BankAccountRefused──> refused

KYC decides (the holder is the customer, by name and by the bank's answer); settlement keeps
the account sealed, with that decision, and pays only to a verified account of the very
customer the redemption is for. A decision for an account of another customer, or one that
contradicts a decision already taken, is a conflict: recorded, never applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from schemas.settlement import PayoutRejectReason

State = Literal["checked", "verified", "refused"]
KycDecision = Literal["verified", "refused"]
Decision = Literal["apply", "duplicate", "conflict"]


@dataclass(frozen=True, slots=True)
class OnFile:
    customer_id: uuid.UUID
    state: State


def decide(on_file: OnFile | None, customer_id: uuid.UUID, decision: KycDecision) -> Decision:
    if on_file is None or on_file.customer_id != customer_id:
        return "conflict"
    if on_file.state == decision:
        return "duplicate"
    return "apply" if on_file.state == "checked" else "conflict"


@dataclass(frozen=True, slots=True)
class NotPayable:
    reason: PayoutRejectReason
    detail: str


def payable(on_file: OnFile | None, customer_id: uuid.UUID) -> NotPayable | None:
    """None when a payout for `customer_id` may go to the account; otherwise why not (KYC's
    eligibility refused these already: reaching here means a command nobody checked)."""
    if on_file is None:
        return NotPayable("beneficiary_unknown", "no bank account on file under this id")
    if on_file.customer_id != customer_id:
        return NotPayable("beneficiary_not_theirs", "the bank account is another customer's")
    if on_file.state != "verified":
        return NotPayable(
            "beneficiary_not_verified", f"the bank account is {on_file.state}, not verified"
        )
    return None
