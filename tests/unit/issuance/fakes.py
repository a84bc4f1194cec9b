"""Issuance's work in memory: each repository is a few lines over a dict, holding the state
a use case reads and what it changed (tests look at both)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from services.issuance.domain.holds import Hold, HoldState
from services.issuance.domain.ledger import (
    ISSUER_BURNED,
    ISSUER_MINTED,
    Movement,
    hold_account,
    hold_id,
    wallet_account,
)
from services.issuance.domain.records import BurnRow, Decision, MintRow
from services.issuance.domain.views import CustomerStatus, CustomerView, DepositView, WalletView
from services.issuance.use_cases.work import Terms
from tests.support.work import FakeWork


@dataclass
class Accounts:
    """The ledger's accounts (Balances and Ledger at once) and its journal."""

    balance: dict[str, int] = field(default_factory=lambda: {ISSUER_MINTED: 0, ISSUER_BURNED: 0})
    journal: list[Movement] = field(default_factory=list)

    async def of(self, account: str) -> int | None:
        return self.balance.get(account)

    async def issuer(self) -> tuple[int, int]:
        return -self.balance[ISSUER_MINTED], self.balance[ISSUER_BURNED]

    async def lock(self, accounts: Iterable[str]) -> None:
        """Nothing to lock: one work at a time."""

    def moved(self, movement: Movement) -> None:
        """The post moved the balances already."""

    async def post(
        self, movement: Movement, command_id: uuid.UUID, correlation_id: uuid.UUID
    ) -> None:
        self.journal.append(movement)
        self.balance[movement.debit] -= movement.amount
        self.balance[movement.credit] += movement.amount


@dataclass
class Owners:
    """KYC's view (KycView and Owners at once): its wallets and customers."""

    accounts: Accounts
    wallets: dict[uuid.UUID, WalletView] = field(default_factory=dict)
    customers: dict[uuid.UUID, CustomerView] = field(default_factory=dict)

    async def of(self, wallet_id: uuid.UUID) -> tuple[WalletView | None, CustomerView | None]:
        wallet = self.wallets.get(wallet_id)
        return (wallet, self.customers.get(wallet.customer_id)) if wallet else (None, None)

    async def set_customer_status(
        self, customer_id: uuid.UUID, status: CustomerStatus, reason: str | None,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        known = self.customers.get(customer_id)
        self.customers[customer_id] = CustomerView(
            customer_id, status, bool(known and known.frozen)
        )

    async def set_customer_frozen(
        self, customer_id: uuid.UUID, frozen: bool, reason: str | None, event_id: uuid.UUID
    ) -> None:
        known = self.customers.get(customer_id)
        self.customers[customer_id] = CustomerView(
            customer_id, known.status if known else "pending", frozen
        )

    async def register_wallet(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, proof_of_control: str,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        known = self.wallets.get(wallet_id)
        proof: Literal["verified", "pending"] = (
            "verified" if proof_of_control == "verified" else "pending"
        )
        self.wallets[wallet_id] = WalletView(
            wallet_id, customer_id, True, proof, bool(known and known.frozen)
        )
        self.accounts.balance.setdefault(wallet_account(wallet_id), 0)

    async def set_wallet_frozen(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, frozen: bool, reason: str | None,
        event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        known = self.wallets.get(wallet_id) or WalletView(
            wallet_id, customer_id, False, None, frozen
        )
        self.wallets[wallet_id] = dataclasses.replace(known, frozen=frozen)


@dataclass
class Deposits:
    told: dict[uuid.UUID, DepositView] = field(default_factory=dict)

    async def of(self, deposit_id: uuid.UUID) -> DepositView | None:
        return self.told.get(deposit_id)

    def matched(self, deposit: DepositView, event_id: uuid.UUID) -> None:
        self.told[deposit.deposit_id] = deposit

    async def refunded(self, deposit_id: uuid.UUID, event_id: uuid.UUID) -> None:
        if deposit_id in self.told:
            self.told[deposit_id] = dataclasses.replace(self.told[deposit_id], refunded=True)


@dataclass
class Reserve:
    fen: int = 0
    entries: set[uuid.UUID] = field(default_factory=set)

    async def balance(self) -> int:
        return self.fen

    def moved(
        self, entry_id: uuid.UUID, direction: Literal["in", "out"], amount_fen: int, cause: str,
        deposit_id: uuid.UUID | None, redemption_id: uuid.UUID | None, event_id: uuid.UUID,
    ) -> None:  # fmt: skip
        if entry_id not in self.entries:  # each journal entry once
            self.entries.add(entry_id)
            self.fen += amount_fen if direction == "in" else -amount_fen


@dataclass
class Mints:
    made: dict[uuid.UUID, MintRow] = field(default_factory=dict)
    reserve_seen: dict[uuid.UUID, int] = field(default_factory=dict)

    async def of(self, deposit_id: uuid.UUID) -> MintRow | None:
        return self.made.get(deposit_id)

    def record(self, mint: MintRow, reserve_cnh: int, command_id: uuid.UUID) -> None:
        self.made[mint.deposit_id] = mint
        self.reserve_seen[mint.deposit_id] = reserve_cnh


@dataclass
class Holds:
    """The holds of redemptions and their burns (Holds and Burns at once)."""

    accounts: Accounts
    placed: dict[uuid.UUID, Hold] = field(default_factory=dict)
    burned: dict[uuid.UUID, BurnRow] = field(default_factory=dict)

    async def of(self, redemption_id: uuid.UUID) -> Hold | None:
        return self.placed.get(redemption_id)

    async def open(
        self, redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int, command_id: uuid.UUID
    ) -> None:
        held = hold_id(redemption_id)
        self.placed[redemption_id] = Hold(redemption_id, HoldState.PLACED, held, wallet_id, amount)
        self.accounts.balance[hold_account(held)] = 0

    async def cancel(self, redemption_id: uuid.UUID, command_id: uuid.UUID) -> None:
        self.placed[redemption_id] = Hold(redemption_id, HoldState.CANCELLED, None, None, None)

    async def close(
        self, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
    ) -> None:
        self.placed[redemption_id] = dataclasses.replace(self.placed[redemption_id], state=state)

    async def burn(self, burn: BurnRow, command_id: uuid.UUID) -> None:
        self.burned[burn.redemption_id] = burn
        await self.close(burn.redemption_id, HoldState.BURNED, command_id)

    async def of_redemption(self, redemption_id: uuid.UUID) -> BurnRow | None:
        return self.burned.get(redemption_id)


@dataclass
class Decisions:
    log: list[tuple[Decision, str]] = field(default_factory=list)

    def record(self, decision: Decision, instance: str) -> None:
        self.log.append((decision, instance))


@dataclass
class IssuanceFakeWork(FakeWork):
    terms: Terms = field(default_factory=lambda: Terms("test-0"))
    accounts: Accounts = field(default_factory=Accounts)
    deposits: Deposits = field(default_factory=Deposits)
    reserve: Reserve = field(default_factory=Reserve)
    mints: Mints = field(default_factory=Mints)
    decisions: Decisions = field(default_factory=Decisions)
    owners: Owners = field(init=False)
    holds: Holds = field(init=False)

    def __post_init__(self) -> None:
        self.owners = Owners(self.accounts)
        self.holds = Holds(self.accounts)

    @property
    def balances(self) -> Accounts:
        return self.accounts

    @property
    def ledger(self) -> Accounts:
        return self.accounts

    @property
    def burns(self) -> Holds:
        return self.holds

    @property
    def kyc(self) -> Owners:
        return self.owners
