"""The work KYC's use cases do their work through: the repositories they read and change
(only the methods they call), the clock, the outbox, and the service's terms.
`repository/work.py` is the SQL one; tests/unit/kyc/fakes.py the fake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from schemas.sealed import OpeningKeys, SealingKey
from services.kyc.crypto import KeyRing, Sealed
from services.kyc.domain.accounts import State as AccountState
from services.kyc.domain.eligibility import Policy
from services.kyc.domain.lists import KnownVersion, ParsedList
from services.kyc.domain.records import (
    ActiveList,
    BankAccount,
    Check,
    Customer,
    HistoryEntry,
    NewCheck,
    Redeeming,
    Screening,
    Wallet,
)
from services.kyc.domain.screening import Match, Outcome, Screener, Thresholds
from services.runtime.work import UseCaseWork


@dataclass(frozen=True)
class Terms:
    """What the use cases apply, built once from the settings (wiring.py)."""

    keyring: KeyRing
    """The at-rest key ring: particulars and account details are encrypted under it."""
    opening: OpeningKeys
    """KYC's private keys: what opens what customers seal to KYC."""
    settlement_key: Callable[[], SealingKey]
    """What an account to check is sealed to settlement with (read at first use)."""
    thresholds: Thresholds
    policy: Policy
    chain_id: int
    """The chain a redemption request's EIP-712 signature is bound to."""


class Customers(Protocol):
    async def of(self, customer_id: uuid.UUID, *, lock: bool = False) -> Customer | None: ...
    async def insert(self, customer: Customer, application_id: uuid.UUID) -> bool: ...
    async def update(self, customer: Customer) -> None: ...
    async def to_rescreen(self, *, unless_screened_with: str | None = None) -> list[Customer]: ...
    async def sealed_under_other_keys(self, active_key_id: str, limit: int) -> list[Customer]: ...
    async def reseal(self, customer_id: uuid.UUID, sealed: Sealed) -> None: ...


class Wallets(Protocol):
    async def of(self, wallet_id: uuid.UUID, *, lock: bool = False) -> Wallet | None: ...
    async def address_taken(self, address: str) -> bool: ...
    async def insert(self, wallet: Wallet, proof_signature: str | None) -> None: ...
    async def verify(self, wallet_id: uuid.UUID, proof_signature: str) -> None: ...
    async def set_frozen(self, wallet_id: uuid.UUID, frozen: bool, reason: str | None) -> None: ...


class BankAccounts(Protocol):
    async def of(self, account_id: uuid.UUID, *, lock: bool = False) -> BankAccount | None: ...
    async def insert(
        self, account: BankAccount, reason: str | None, registration_id: uuid.UUID
    ) -> bool: ...
    async def decide(
        self, account_id: uuid.UUID, state: AccountState, reason: str | None,
        bank_result: str | None,
    ) -> None: ...  # fmt: skip
    async def sealed_under_other_keys(
        self, active_key_id: str, limit: int
    ) -> list[BankAccount]: ...
    async def reseal(self, account_id: uuid.UUID, sealed: Sealed) -> None: ...


class SanctionsLists(Protocol):
    async def lock(self) -> None: ...
    async def catalogue(self) -> list[KnownVersion]: ...
    async def active(self) -> list[ActiveList]: ...
    async def active_screener(self) -> Screener | None: ...
    async def screener_of(self, versions: list[str]) -> Screener: ...
    async def insert(self, parsed: ParsedList) -> None: ...
    async def activate(self, version: str, replaces: str | None) -> None: ...


class Screenings(Protocol):
    async def last(self, customer_id: uuid.UUID) -> Screening | None: ...
    async def record(
        self, customer_id: uuid.UUID, list_version: str, match: Match, outcome: Outcome
    ) -> None: ...


class Checks(Protocol):
    async def customer(self, customer_id: uuid.UUID) -> Customer | None: ...
    async def of(self, redemption_id: uuid.UUID) -> Check | None: ...
    async def redeeming(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID
    ) -> Redeeming: ...
    async def record(self, check: NewCheck) -> bool: ...
    async def release(self, redemption_id: uuid.UUID) -> None: ...


class History(Protocol):
    async def record(self, entry: HistoryEntry) -> None: ...


class KycWork(UseCaseWork, Protocol):
    """One message's (or one operator action's) work: what it may read and change, and
    where its facts go."""

    @property
    def terms(self) -> Terms: ...
    @property
    def customers(self) -> Customers: ...
    @property
    def wallets(self) -> Wallets: ...
    @property
    def accounts(self) -> BankAccounts: ...
    @property
    def lists(self) -> SanctionsLists: ...
    @property
    def screenings(self) -> Screenings: ...
    @property
    def checks(self) -> Checks: ...
    @property
    def history(self) -> History: ...
