"""The rows KYC's use cases read, as plain records (repository/ reads them from SQL, the
unit tests' fakes hold them in memory)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from schemas.kyc import IneligibleReason
from services.kyc.crypto import Sealed
from services.kyc.domain.accounts import State as AccountState
from services.kyc.domain.onboarding import DueDiligence, Status, Tier
from services.kyc.domain.screening import Outcome

Kind = Literal["individual", "corporate"]
Proof = Literal["verified", "pending"]
CheckOutcome = Literal["reserved", "refused", "cancelled", "released"]


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: uuid.UUID
    kind: Kind
    status: Status
    tier: Tier
    due_diligence: DueDiligence
    frozen: bool
    freeze_reason: str | None
    sanctioned: bool
    particulars: Sealed
    """The application's particulars, encrypted at rest under the records key ring."""


@dataclass(frozen=True, slots=True)
class Wallet:
    wallet_id: uuid.UUID
    customer_id: uuid.UUID
    address: str
    deposit_reference: str
    proof_of_control: Proof
    frozen: bool


@dataclass(frozen=True, slots=True)
class BankAccount:
    account_id: uuid.UUID
    customer_id: uuid.UUID
    state: AccountState
    details: Sealed
    """The account's holder, number and bank, encrypted at rest."""


@dataclass(frozen=True, slots=True)
class Screening:
    """A customer's latest screening: the best match and what it meant."""

    entry_ref: str | None
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class ActiveList:
    version: str
    keys_version: str
    """The version of the name keys its entries were stored with."""


@dataclass(frozen=True, slots=True)
class Check:
    """One redemption's eligibility decision (or its cancellation before any check)."""

    outcome: CheckOutcome
    reservation_id: uuid.UUID | None = None
    tier: Tier | None = None
    reason: IneligibleReason | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class NewCheck:
    """What an eligibility check decided, to be recorded."""

    redemption_id: uuid.UUID
    outcome: CheckOutcome
    customer_id: uuid.UUID | None = None
    wallet_id: uuid.UUID | None = None
    amount_minor: int | None = None
    reason: IneligibleReason | None = None
    detail: str | None = None
    tier: Tier | None = None
    reservation_id: uuid.UUID | None = None
    signature: str | None = None
    beneficiary_account_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Redeeming:
    """What an eligibility check reads besides the customer, in one round trip."""

    wallet: Wallet | None
    beneficiary: tuple[uuid.UUID, AccountState] | None
    """The account's owner and state; None: no account under the id."""
    reserved_minor: int
    """The customer's live reservations of the last 24 hours."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A row of kyc_history: who did what to which customer, wallet or account, and why."""

    action: str
    actor: str
    customer_id: uuid.UUID | None = None
    wallet_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    reason: str | None = None
    cause_id: uuid.UUID | None = None
