"""Settlement's work in memory: each repository is a few lines over a dict or a list,
holding the state a use case reads and what it changed (tests look at both); and a bank
rail that answers as a test tells it to, and remembers what it was asked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas import Money
from schemas.sealed import Sealed
from schemas.settlement import AccountCheckResult, BankAccount
from services.settlement.adapters.bank.port import (
    Accepted,
    OrderStatus,
    PaymentOrder,
    SubmitResult,
)
from services.settlement.domain import ledger
from services.settlement.domain.accounts import State as AccountState
from services.settlement.domain.payouts import State as PayoutState
from services.settlement.repository.accounts import Account
from services.settlement.repository.deposits import Deposit
from services.settlement.repository.ledger import Links
from services.settlement.repository.payouts import Payout
from services.settlement.repository.supply import Release, SupplyMovement
from services.settlement.use_cases.work import Terms
from tests.support.sealing import throwaway
from tests.support.work import T0, FakeWork

KEYS = throwaway("settlement")


@dataclass
class FakeBank:
    """Answers `answer` to every order (or `answers[instruction_id]`), `result` to every
    account check; `orders` and `checked` are what it was asked."""

    answer: SubmitResult = field(default_factory=lambda: Accepted("BANKREF1"))
    result: AccountCheckResult = "match"
    statuses: dict[uuid.UUID, OrderStatus] = field(default_factory=dict)
    orders: list[PaymentOrder] = field(default_factory=list)
    checked: list[BankAccount] = field(default_factory=list)

    async def submit(self, order: PaymentOrder) -> SubmitResult:
        self.orders.append(order)
        return self.answer

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        return {order.instruction_id: await self.submit(order) for order in orders}

    async def status(self, instruction_id: uuid.UUID) -> OrderStatus | None:
        return self.statuses.get(instruction_id)

    async def check_account(self, account: BankAccount) -> AccountCheckResult:
        self.checked.append(account)
        return self.result


@dataclass
class Journal:
    entries: dict[uuid.UUID, tuple[ledger.Entry, Links]] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def post(self, entry_id: uuid.UUID, entry: ledger.Entry, links: Links) -> None:
        self.entries[entry_id] = (entry, links)
        for line in entry.lines:
            self.balances[line.code] += ledger.balance_effect(line)

    async def balance(self, account: str) -> int:
        return self.balances[account]

    def templates(self) -> list[str]:
        return [entry.template for entry, _ in self.entries.values()]


@dataclass
class History:
    rows: list[tuple[str, uuid.UUID, str | None, str, str, str, str]] = field(default_factory=list)

    def record(
        self, subject: str, subject_id: uuid.UUID, from_state: str | None, to_state: str,
        actor: str, cause: str, detail: str = "",
    ) -> None:  # fmt: skip
        self.rows.append((subject, subject_id, from_state, to_state, actor, cause, detail))

    def moves(self, subject_id: uuid.UUID) -> list[tuple[str | None, str]]:
        return [(row[2], row[3]) for row in self.rows if row[1] == subject_id]


@dataclass
class Anomalies:
    kinds: list[str] = field(default_factory=list)

    async def record(self, kind: str, reference: str, detail: str) -> None:
        self.kinds.append(kind)


@dataclass
class Deposits:
    rows: dict[uuid.UUID, Deposit] = field(default_factory=dict)

    async def insert(
        self, deposit_id: uuid.UUID, bank_reference: str, amount: Money,
        deposit_reference: str | None, particulars: Sealed, value_date: dt.date,
        owner: tuple[uuid.UUID, uuid.UUID] | None, state: str, reason: str | None,
        mint_command_id: uuid.UUID | None = None,
    ) -> bool:  # fmt: skip
        if deposit_id in self.rows:
            return False
        customer_id, wallet_id = owner or (None, None)
        self.rows[deposit_id] = Deposit(
            deposit_id, bank_reference, amount, particulars, customer_id, wallet_id, state,
            reason, deposit_reference, int(mint_command_id is not None),
        )  # fmt: skip
        return True

    async def locked(self, deposit_id: uuid.UUID) -> Deposit | None:
        return self.rows.get(deposit_id)

    for_update = locked

    def set_state(
        self, deposit: Deposit, state: str, reason: str | None = None, detail: str = ""
    ) -> None:
        kept = reason if reason is not None else deposit.reason
        self.rows[deposit.deposit_id] = dataclasses.replace(deposit, state=state, reason=kept)

    async def change_state(
        self, deposit_id: uuid.UUID, state: str, reason: str | None = None
    ) -> None:
        self.set_state(self.rows[deposit_id], state, reason)

    async def mint_requested(
        self, deposit_id: uuid.UUID, owner: tuple[uuid.UUID, uuid.UUID], mint_command_id: uuid.UUID
    ) -> None:
        deposit = self.rows[deposit_id]
        self.rows[deposit_id] = dataclasses.replace(
            deposit, state="minting", customer_id=owner[0], wallet_id=owner[1],
            mint_attempts=deposit.mint_attempts + 1,
        )  # fmt: skip

    async def suspended_unmatched(self, reference: str) -> list[Deposit]:
        return [
            d for d in self.rows.values()
            if (d.state, d.reason, d.deposit_reference)
            == ("suspended", "unmatched_reference", reference)
        ]  # fmt: skip


@dataclass
class References:
    owners: dict[str, tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)

    async def lock(self, references: Iterable[str]) -> None:
        """Nothing to lock: one work at a time."""

    async def owner(self, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        return self.owners.get(reference)

    def forget(self, reference: str) -> None:
        """Nothing cached."""

    async def register(self, reference: str, customer_id: uuid.UUID, wallet_id: uuid.UUID) -> bool:
        return self.owners.setdefault(reference, (customer_id, wallet_id)) == (
            customer_id,
            wallet_id,
        )

    wallet_for = owner


@dataclass
class Accounts:
    rows: dict[uuid.UUID, Account] = field(default_factory=dict)

    async def get(self, account_id: uuid.UUID) -> Account | None:
        return self.rows.get(account_id)

    locked = get

    async def keep(
        self, account_id: uuid.UUID, customer_id: uuid.UUID, sealed: Sealed, bank_result: str
    ) -> Account:
        return self.rows.setdefault(
            account_id, Account(account_id, customer_id, sealed, bank_result, "checked")
        )

    async def decided(self, account_id: uuid.UUID, state: AccountState, reason: str | None) -> None:
        self.rows[account_id] = dataclasses.replace(self.rows[account_id], state=state)


@dataclass
class Payouts:
    rows: dict[uuid.UUID, Payout] = field(default_factory=dict)
    returns: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    """Return cases: case id -> payout id."""

    async def get(self, redemption_id: uuid.UUID, *, lock: bool = True) -> Payout | None:
        return next((p for p in self.rows.values() if p.redemption_id == redemption_id), None)

    async def locked(self, payout_id: uuid.UUID) -> Payout | None:
        return self.rows.get(payout_id)

    async def of_deposit(self, deposit_id: uuid.UUID) -> bool:
        return any(p.deposit_id == deposit_id for p in self.rows.values())

    def add(self, payout: Payout) -> None:
        self.rows[payout.payout_id] = payout

    def forget(self, payout: Payout) -> None:
        """Nothing cached."""

    async def set_state(
        self, payout_id: uuid.UUID, state: PayoutState, detail: str, *,
        bank_reference: str | None = None, settled_at: dt.datetime | None = None,
    ) -> None:  # fmt: skip
        payout = self.rows[payout_id]
        reference = payout.bank_reference or bank_reference
        self.rows[payout_id] = dataclasses.replace(
            payout, state=state, detail=detail, bank_reference=reference
        )

    async def open_return_case(
        self, case_id: uuid.UUID, payout_id: uuid.UUID, bank_reference: str, amount: Money,
        reason: str, returned_at: dt.datetime,
    ) -> None:  # fmt: skip
        self.returns[case_id] = payout_id


@dataclass
class Notices:
    outcomes: dict[uuid.UUID, str | None] = field(default_factory=dict)

    def store(
        self, message_id: uuid.UUID, kind: str, bank_reference: str, end_to_end_id: uuid.UUID,
        body: dict[str, Any],
    ) -> None:  # fmt: skip
        self.outcomes[message_id] = None

    async def mark(self, message_id: uuid.UUID, outcome: str) -> None:
        self.outcomes[message_id] = outcome


@dataclass
class Statements:
    pages: dict[tuple[str, int], list[tuple[Any, ...]]] = field(default_factory=dict)

    async def store_page(
        self, statement_id: str, sequence: int, page: int, pages: int, account_number: str,
        period: tuple[dt.datetime, dt.datetime], lines: list[tuple[Any, ...]],
    ) -> bool:  # fmt: skip
        return self.pages.setdefault((statement_id, page), lines) is lines


@dataclass
class Releases:
    made: dict[uuid.UUID, Release] = field(default_factory=dict)

    async def of(self, redemption_id: uuid.UUID) -> Release | None:
        return self.made.get(redemption_id)

    def record(
        self, redemption_id: uuid.UUID, amount_minor: int, reserve_after: int,
        entry_id: uuid.UUID,
    ) -> None:  # fmt: skip
        self.made[redemption_id] = Release(amount_minor, reserve_after)


@dataclass
class Supply:
    movements: list[SupplyMovement] = field(default_factory=list)

    def record(self, movement: SupplyMovement) -> None:
        self.movements.append(movement)


@dataclass
class SettlementFakeWork(FakeWork):
    terms: Terms = field(default_factory=lambda: Terms(KEYS))
    actor: str = "test:message"
    occurred_at: dt.datetime = T0
    bank: FakeBank = field(default_factory=FakeBank)
    journal: Journal = field(default_factory=Journal)
    history: History = field(default_factory=History)
    anomalies: Anomalies = field(default_factory=Anomalies)
    deposits: Deposits = field(default_factory=Deposits)
    references: References = field(default_factory=References)
    accounts: Accounts = field(default_factory=Accounts)
    payouts: Payouts = field(default_factory=Payouts)
    notices: Notices = field(default_factory=Notices)
    statements: Statements = field(default_factory=Statements)
    releases: Releases = field(default_factory=Releases)
    supply: Supply = field(default_factory=Supply)

    @property
    def cause(self) -> uuid.UUID | None:
        return self.message_id
