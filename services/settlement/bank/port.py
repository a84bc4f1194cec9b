"""The bank rail port: what settlement needs from any bank integration.

`submit` hands a payment order to the bank and returns what the bank said within the
adapter's deadline: accepted (with the bank's reference), refused before execution (a definite
rejection: no money left), or no answer (the order may or may not be executed: only a notice
or the statement will tell). Orders are idempotent by `instruction_id` (the ISO 20022
end-to-end id, carried by every rail): submitting the same order again never pays twice.
What happens next arrives asynchronously on settlement.bank-notifications.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from schemas.money import Money
from schemas.settlement import BankAccount, PayoutRejectReason
from services.settlement.domain.rails import Rail


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    instruction_id: uuid.UUID
    amount: Money
    beneficiary: BankAccount
    rail: Rail
    remittance: str


@dataclass(frozen=True, slots=True)
class Accepted:
    bank_reference: str


@dataclass(frozen=True, slots=True)
class Refused:
    reason: PayoutRejectReason
    detail: str


@dataclass(frozen=True, slots=True)
class NoAnswer:
    detail: str


SubmitResult = Accepted | Refused | NoAnswer


class BankRail(Protocol):
    async def submit(self, order: PaymentOrder) -> SubmitResult: ...
