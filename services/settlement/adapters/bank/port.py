"""The bank rail port: what settlement needs from any bank integration.

`submit` hands a payment order to the bank and returns what the bank said within the
adapter's deadline: accepted (with the bank's reference), refused before execution (a definite
rejection: no money left), or no answer (the order may or may not be executed: only a notice
or the statement will tell). Orders are idempotent by `instruction_id` (the ISO 20022
end-to-end id, carried by every rail): submitting the same order again never pays twice.
What happens next arrives asynchronously on settlement.bank-notifications.

`status` is the bank's word on an order submitted before (by its `instruction_id`): None if
the bank has no such order, which is how an order that got no answer is told to have never
reached the bank's books (unanswered.py submits it again).

`check_account` is the bank's account check (confirmation of payee): does it hold this
account, open, under this holder name? Asked once per beneficiary account, before any
payout may go to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from schemas.money import Money
from schemas.settlement import AccountCheckResult, BankAccount, PayoutRejectReason
from services.runtime.unit_of_work import AtCommit
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

OrderState = Literal["accepted", "settled", "rejected", "returned"]


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """The bank's record of an order: its state now, and why (of a rejected one)."""

    state: OrderState
    reason: str | None
    bank_reference: str


class BankRail(Protocol):
    async def submit(self, order: PaymentOrder) -> SubmitResult: ...

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        """Several orders in one submission (a bulk payment file, as ISO 20022 pain.001
        carries many transactions): each gets the answer `submit` would give it."""
        ...

    async def status(self, instruction_id: uuid.UUID) -> OrderStatus | None:
        """The order the bank holds under `instruction_id`, or None if it holds none."""
        ...

    async def check_account(self, account: BankAccount) -> AccountCheckResult:
        """The bank's record of `account`: open under its holder name ("match"), held under
        another name ("mismatch"), unknown ("not_found") or "closed"."""
        ...


class AnsweredAhead:
    """A rail whose answers to some orders are already in, from a bulk submission made for
    the whole batch before its handlers ran; other orders go to the rail one by one."""

    def __init__(self, rail: BankRail, answers: dict[uuid.UUID, SubmitResult]) -> None:
        self._rail = rail
        self._answers = answers

    async def submit(self, order: PaymentOrder) -> SubmitResult:
        answer = self._answers.pop(order.instruction_id, None)
        return answer if answer is not None else await self._rail.submit(order)

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        return {order.instruction_id: await self.submit(order) for order in orders}

    async def status(self, instruction_id: uuid.UUID) -> OrderStatus | None:
        return await self._rail.status(instruction_id)

    async def check_account(self, account: BankAccount) -> AccountCheckResult:
        return await self._rail.check_account(account)


class BankAnswers:
    """A transaction's answers from a bulk submission (a staged object of the unit of work:
    answers not used by the end of the batch are dropped with it)."""

    def __init__(self, connection: object) -> None:
        self.answers: dict[uuid.UUID, SubmitResult] = {}

    async def flush(self, commit: AtCommit) -> None:
        self.answers.clear()
