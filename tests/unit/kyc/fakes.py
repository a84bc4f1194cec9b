"""KYC's work in memory: each repository is a few lines over a dict or a list, holding the
state a use case reads and what it changed (tests look at both)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.signing import DEFAULT_CHAIN_ID
from services.kyc.crypto import KeyRing, Sealed
from services.kyc.domain.accounts import State as AccountState
from services.kyc.domain.eligibility import TOKEN_MINOR, Policy, TierLimits
from services.kyc.domain.lists import KnownVersion, ParsedList, screening_set
from services.kyc.domain.onboarding import Tier
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
from services.kyc.domain.text import KEYS_VERSION
from services.kyc.settings import DEVELOPMENT_KEY_ID, DEVELOPMENT_KEYS
from services.kyc.use_cases.work import Terms
from tests.support.sealing import throwaway
from tests.support.work import FakeWork


def terms() -> Terms:
    """The service's defaults: basic 5,000 / 10,000 tokens, standard 100,000 / 500,000."""
    limits: dict[Tier, TierLimits] = {
        "basic": TierLimits(5_000 * TOKEN_MINOR, 10_000 * TOKEN_MINOR),
        "standard": TierLimits(100_000 * TOKEN_MINOR, 500_000 * TOKEN_MINOR),
        "enhanced": TierLimits(5_000_000 * TOKEN_MINOR, 20_000_000 * TOKEN_MINOR),
    }
    return Terms(
        keyring=KeyRing.parse(DEVELOPMENT_KEYS, DEVELOPMENT_KEY_ID),
        opening=throwaway("kyc"),
        settlement_key=lambda: throwaway("settlement").current,
        thresholds=Thresholds(80, 92),
        policy=Policy(limits, 8_000, Decimal("1.15")),
        chain_id=DEFAULT_CHAIN_ID,
    )


@dataclass
class Screenings:
    made: list[tuple[uuid.UUID, str, Match, Outcome]] = field(default_factory=list)

    async def last(self, customer_id: uuid.UUID) -> Screening | None:
        mine = [(m, o) for c, _, m, o in self.made if c == customer_id]
        return Screening(mine[-1][0].entry_ref, mine[-1][1]) if mine else None

    async def record(
        self, customer_id: uuid.UUID, list_version: str, match: Match, outcome: Outcome
    ) -> None:
        if not any((c, v) == (customer_id, list_version) for c, v, _, _ in self.made):
            self.made.append((customer_id, list_version, match, outcome))

    def against(self, customer_id: uuid.UUID) -> str | None:
        """The lists the customer was last screened against."""
        mine = [v for c, v, _, _ in self.made if c == customer_id]
        return mine[-1] if mine else None


@dataclass
class Customers:
    screenings: Screenings
    known: dict[uuid.UUID, Customer] = field(default_factory=dict)

    async def of(self, customer_id: uuid.UUID, *, lock: bool = False) -> Customer | None:
        return self.known.get(customer_id)

    async def insert(self, customer: Customer, application_id: uuid.UUID) -> bool:
        return self.known.setdefault(customer.customer_id, customer) is customer

    async def update(self, customer: Customer) -> None:
        self.known[customer.customer_id] = customer

    async def to_rescreen(self, *, unless_screened_with: str | None = None) -> list[Customer]:
        return [
            c for _, c in sorted(self.known.items())
            if c.status != "rejected"
            and (unless_screened_with is None
                 or self.screenings.against(c.customer_id) != unless_screened_with)
        ]  # fmt: skip

    async def sealed_under_other_keys(self, active_key_id: str, limit: int) -> list[Customer]:
        return [c for c in self.known.values() if c.particulars.key_id != active_key_id][:limit]

    async def reseal(self, customer_id: uuid.UUID, sealed: Sealed) -> None:
        self.known[customer_id] = dataclasses.replace(self.known[customer_id], particulars=sealed)


@dataclass
class Wallets:
    known: dict[uuid.UUID, Wallet] = field(default_factory=dict)
    proofs: dict[uuid.UUID, str | None] = field(default_factory=dict)
    freeze_reasons: dict[uuid.UUID, str | None] = field(default_factory=dict)

    async def of(self, wallet_id: uuid.UUID, *, lock: bool = False) -> Wallet | None:
        return self.known.get(wallet_id)

    async def address_taken(self, address: str) -> bool:
        return any(w.address == address for w in self.known.values())

    async def insert(self, wallet: Wallet, proof_signature: str | None) -> None:
        self.known[wallet.wallet_id] = wallet
        self.proofs[wallet.wallet_id] = proof_signature

    async def verify(self, wallet_id: uuid.UUID, proof_signature: str) -> None:
        self.known[wallet_id] = dataclasses.replace(
            self.known[wallet_id], proof_of_control="verified"
        )
        self.proofs[wallet_id] = proof_signature

    async def set_frozen(self, wallet_id: uuid.UUID, frozen: bool, reason: str | None) -> None:
        self.known[wallet_id] = dataclasses.replace(self.known[wallet_id], frozen=frozen)
        self.freeze_reasons[wallet_id] = reason


@dataclass
class BankAccounts:
    known: dict[uuid.UUID, BankAccount] = field(default_factory=dict)
    reasons: dict[uuid.UUID, str | None] = field(default_factory=dict)
    bank_results: dict[uuid.UUID, str | None] = field(default_factory=dict)

    async def of(self, account_id: uuid.UUID, *, lock: bool = False) -> BankAccount | None:
        return self.known.get(account_id)

    async def insert(
        self, account: BankAccount, reason: str | None, registration_id: uuid.UUID
    ) -> bool:
        if account.account_id in self.known:
            return False
        self.known[account.account_id], self.reasons[account.account_id] = account, reason
        return True

    async def decide(
        self, account_id: uuid.UUID, state: AccountState, reason: str | None,
        bank_result: str | None,
    ) -> None:  # fmt: skip
        self.known[account_id] = dataclasses.replace(self.known[account_id], state=state)
        self.reasons[account_id], self.bank_results[account_id] = reason, bank_result

    async def sealed_under_other_keys(self, active_key_id: str, limit: int) -> list[BankAccount]:
        return [a for a in self.known.values() if a.details.key_id != active_key_id][:limit]

    async def reseal(self, account_id: uuid.UUID, sealed: Sealed) -> None:
        self.known[account_id] = dataclasses.replace(self.known[account_id], details=sealed)


@dataclass
class SanctionsLists:
    loaded: dict[str, tuple[KnownVersion, ParsedList]] = field(default_factory=dict)
    locked: int = 0

    async def lock(self) -> None:
        self.locked += 1

    async def catalogue(self) -> list[KnownVersion]:
        return [known for known, _ in self.loaded.values()]

    async def active(self) -> list[ActiveList]:
        versions = sorted(k.version for k, _ in self.loaded.values() if k.active)
        return [ActiveList(v, KEYS_VERSION) for v in versions]

    async def active_screener(self) -> Screener | None:
        versions = [a.version for a in await self.active()]
        return await self.screener_of(versions) if versions else None

    async def screener_of(self, versions: list[str]) -> Screener:
        entries = [e for v in sorted(versions) for e in self.loaded[v][1].entries]
        return Screener(screening_set(versions), entries)

    async def insert(self, parsed: ParsedList) -> None:
        known = KnownVersion(parsed.version, parsed.source, parsed.sha256, active=False)
        self.loaded[parsed.version] = (known, parsed)

    async def activate(self, version: str, replaces: str | None) -> None:
        for v in (replaces, version):
            if v is not None:
                known, parsed = self.loaded[v]
                self.loaded[v] = (dataclasses.replace(known, active=v == version), parsed)


@dataclass
class Checks:
    """Eligibility checks over the customers, wallets and accounts the work holds."""

    customers: Customers
    wallets: Wallets
    accounts: BankAccounts
    decided: dict[uuid.UUID, NewCheck] = field(default_factory=dict)

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.customers.of(customer_id, lock=True)

    async def of(self, redemption_id: uuid.UUID) -> Check | None:
        made = self.decided.get(redemption_id)
        if made is None:
            return None
        return Check(made.outcome, made.reservation_id, made.tier, made.reason, made.detail)

    async def redeeming(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, account_id: uuid.UUID
    ) -> Redeeming:
        account = self.accounts.known.get(account_id)
        reserved = sum(
            c.amount_minor or 0 for c in self.decided.values()
            if c.customer_id == customer_id and c.outcome == "reserved"
        )  # fmt: skip
        return Redeeming(
            self.wallets.known.get(wallet_id),
            None if account is None else (account.customer_id, account.state),
            reserved,
        )

    async def record(self, check: NewCheck) -> bool:
        return self.decided.setdefault(check.redemption_id, check) is check

    async def release(self, redemption_id: uuid.UUID) -> None:
        made = self.decided[redemption_id]
        if made.outcome == "reserved":
            self.decided[redemption_id] = dataclasses.replace(made, outcome="released")


@dataclass
class History:
    entries: list[HistoryEntry] = field(default_factory=list)

    async def record(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]


@dataclass
class KycFakeWork(FakeWork):
    terms: Terms = field(default_factory=terms)
    screenings: Screenings = field(default_factory=Screenings)
    wallets: Wallets = field(default_factory=Wallets)
    accounts: BankAccounts = field(default_factory=BankAccounts)
    lists: SanctionsLists = field(default_factory=SanctionsLists)
    history: History = field(default_factory=History)
    customers: Customers = field(init=False)
    checks: Checks = field(init=False)

    def __post_init__(self) -> None:
        self.customers = Customers(self.screenings)
        self.checks = Checks(self.customers, self.wallets, self.accounts)
