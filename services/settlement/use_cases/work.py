"""The work settlement's use cases do their work through: the repositories they read and
change (only the methods they call), the bank rail, the clock, the outbox, who acts and
what caused it (recorded in the journal and the history), and the service's terms."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from schemas import Money
from schemas.sealed import OpeningKeys, Sealed
from services.runtime.work import UseCaseWork
from services.settlement.adapters.bank.port import BankRail
from services.settlement.domain import ledger
from services.settlement.domain.accounts import State as AccountState
from services.settlement.domain.payouts import State as PayoutState
from services.settlement.repository.accounts import Account
from services.settlement.repository.deposits import Deposit
from services.settlement.repository.ledger import Links
from services.settlement.repository.payouts import Payout
from services.settlement.repository.supply import Release, SupplyMovement


@dataclass(frozen=True, slots=True)
class Terms:
    """`keys`: settlement's own, which open what is sealed to it (a deposit's payer, the
    bank accounts KYC has checked, then paid to), in memory only."""

    keys: OpeningKeys


class Journal(Protocol):
    def post(self, entry_id: uuid.UUID, entry: ledger.Entry, links: Links) -> None: ...
    async def balance(self, account: str) -> int: ...


class History(Protocol):
    def record(
        self, subject: str, subject_id: uuid.UUID, from_state: str | None, to_state: str,
        actor: str, cause: str, detail: str = "",
    ) -> None: ...  # fmt: skip


class Anomalies(Protocol):
    async def record(self, kind: str, reference: str, detail: str) -> None: ...


class Deposits(Protocol):
    async def insert(
        self, deposit_id: uuid.UUID, bank_reference: str, amount: Money,
        deposit_reference: str | None, particulars: Sealed, value_date: dt.date,
        owner: tuple[uuid.UUID, uuid.UUID] | None, state: str, reason: str | None,
        mint_command_id: uuid.UUID | None = None,
    ) -> bool: ...  # fmt: skip
    async def locked(self, deposit_id: uuid.UUID) -> Deposit | None: ...
    def set_state(
        self, deposit: Deposit, state: str, reason: str | None = None, detail: str = ""
    ) -> None: ...
    async def for_update(self, deposit_id: uuid.UUID) -> Deposit | None: ...
    async def change_state(
        self, deposit_id: uuid.UUID, state: str, reason: str | None = None
    ) -> None: ...
    async def mint_requested(
        self, deposit_id: uuid.UUID, owner: tuple[uuid.UUID, uuid.UUID], mint_command_id: uuid.UUID
    ) -> None: ...
    async def suspended_unmatched(self, reference: str) -> list[Deposit]: ...


class References(Protocol):
    async def lock(self, references: Iterable[str]) -> None: ...
    async def owner(self, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None: ...
    def forget(self, reference: str) -> None: ...
    async def register(
        self, reference: str, customer_id: uuid.UUID, wallet_id: uuid.UUID
    ) -> bool: ...
    async def wallet_for(self, reference: str) -> tuple[uuid.UUID, uuid.UUID] | None: ...


class Accounts(Protocol):
    async def get(self, account_id: uuid.UUID) -> Account | None: ...
    async def locked(self, account_id: uuid.UUID) -> Account | None: ...
    async def keep(
        self, account_id: uuid.UUID, customer_id: uuid.UUID, sealed: Sealed, bank_result: str
    ) -> Account: ...
    async def decided(
        self, account_id: uuid.UUID, state: AccountState, reason: str | None
    ) -> None: ...


class Payouts(Protocol):
    async def get(self, redemption_id: uuid.UUID, *, lock: bool = True) -> Payout | None: ...
    async def locked(self, payout_id: uuid.UUID) -> Payout | None: ...
    async def of_deposit(self, deposit_id: uuid.UUID) -> bool: ...
    def add(self, payout: Payout) -> None: ...
    def forget(self, payout: Payout) -> None: ...
    async def set_state(
        self, payout_id: uuid.UUID, state: PayoutState, detail: str, *,
        bank_reference: str | None = None, settled_at: dt.datetime | None = None,
    ) -> None: ...  # fmt: skip
    async def open_return_case(
        self, case_id: uuid.UUID, payout_id: uuid.UUID, bank_reference: str, amount: Money,
        reason: str, returned_at: dt.datetime,
    ) -> None: ...  # fmt: skip


class Notices(Protocol):
    def store(
        self, message_id: uuid.UUID, kind: str, bank_reference: str, end_to_end_id: uuid.UUID,
        body: dict[str, Any],
    ) -> None: ...  # fmt: skip
    async def mark(self, message_id: uuid.UUID, outcome: str) -> None: ...


class Statements(Protocol):
    async def store_page(
        self, statement_id: str, sequence: int, page: int, pages: int, account_number: str,
        period: tuple[dt.datetime, dt.datetime], lines: list[tuple[Any, ...]],
    ) -> bool: ...  # fmt: skip


class Releases(Protocol):
    async def of(self, redemption_id: uuid.UUID) -> Release | None: ...
    def record(
        self, redemption_id: uuid.UUID, amount_minor: int, reserve_after: int,
        entry_id: uuid.UUID,
    ) -> None: ...  # fmt: skip


class Supply(Protocol):
    def record(self, movement: SupplyMovement) -> None: ...


class SettlementWork(UseCaseWork, Protocol):
    """One message's (or one background round's, or one operator action's) work."""

    @property
    def terms(self) -> Terms: ...
    @property
    def actor(self) -> str:
        """Who acts: the message's producer and type, or the background task, or the
        operator (the journal's and the history's `actor`)."""
        ...

    @property
    def cause(self) -> uuid.UUID | None:
        """The message that caused it (none for a background round or an operator's)."""
        ...

    @property
    def occurred_at(self) -> dt.datetime:
        """When its message was produced (a payout's request time), or now."""
        ...

    @property
    def bank(self) -> BankRail: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def history(self) -> History: ...
    @property
    def anomalies(self) -> Anomalies: ...
    @property
    def deposits(self) -> Deposits: ...
    @property
    def references(self) -> References: ...
    @property
    def accounts(self) -> Accounts: ...
    @property
    def payouts(self) -> Payouts: ...
    @property
    def notices(self) -> Notices: ...
    @property
    def statements(self) -> Statements: ...
    @property
    def releases(self) -> Releases: ...
    @property
    def supply(self) -> Supply: ...
