"""KYC's contracts: eligibility for a redemption (saga step 1) and the facts other services
build their views from. Events carry ids and decisions only, never personal data."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import StringConstraints

from schemas.ids import ReasonCode, Text
from schemas.message import Message
from schemas.money import CurrencyCode, TokenAmount

Tier = Literal["basic", "standard", "enhanced"]
"""Customer tier: sets per-transaction and rolling 24-hour redemption limits."""

DueDiligence = Literal["simplified", "standard", "enhanced"]

WalletAddress = Annotated[
    str, StringConstraints(min_length=26, max_length=90, pattern=r"^[A-Za-z0-9]+$")
]
"""An on-chain address (hex or base58/bech32 characters)."""

DepositReference = Annotated[str, StringConstraints(pattern=r"^CNH-[A-Z0-9]{10}$")]
"""What a customer writes on a bank transfer to the reserve account, so that settlement can
match the deposit to the wallet to mint to."""

# --- saga step 1: eligibility ---------------------------------------------------------


class CheckEligibility(Message):
    """May this customer redeem `amount` from `wallet_id` now? Reserves the amount against the
    customer's limits when yes (released by ReleaseReservation)."""

    TYPE = "kyc.check_eligibility"
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    payout_currency: CurrencyCode


class Eligible(Message):
    TYPE = "kyc.eligible"
    redemption_id: uuid.UUID
    reservation_id: uuid.UUID
    tier: Tier


IneligibleReason = Literal[
    "not_verified",
    "customer_rejected",
    "customer_frozen",
    "sanctioned",
    "wallet_not_theirs",
    "wallet_frozen",
    "over_transaction_limit",
    "over_daily_limit",
    "due_diligence_required",
    "cancelled",  # a release for this redemption arrived first
]


class Ineligible(Message):
    TYPE = "kyc.ineligible"
    redemption_id: uuid.UUID
    reason: IneligibleReason
    detail: Text


class ReleaseReservation(Message):
    """Compensation of step 1. Also when no reservation exists yet: the redemption is then
    recorded as cancelled, so a late CheckEligibility is refused ("cancelled")."""

    TYPE = "kyc.release_reservation"
    redemption_id: uuid.UUID


class ReservationReleased(Message):
    TYPE = "kyc.reservation_released"
    redemption_id: uuid.UUID
    reservation_id: uuid.UUID | None
    """None when there was nothing to release (the cancellation is recorded)."""


# --- facts (kyc.events) ---------------------------------------------------------------


class CustomerVerified(Message):
    TYPE = "kyc.customer_verified"
    customer_id: uuid.UUID
    tier: Tier
    due_diligence: DueDiligence


class CustomerRejected(Message):
    TYPE = "kyc.customer_rejected"
    customer_id: uuid.UUID
    reason: ReasonCode


class CustomerReferred(Message):
    """Sent to manual review (a possible sanctions hit, missing evidence...)."""

    TYPE = "kyc.customer_referred"
    customer_id: uuid.UUID
    reason: ReasonCode


class CustomerFrozen(Message):
    TYPE = "kyc.customer_frozen"
    customer_id: uuid.UUID
    reason: ReasonCode


class CustomerUnfrozen(Message):
    TYPE = "kyc.customer_unfrozen"
    customer_id: uuid.UUID


class WalletRegistered(Message):
    TYPE = "kyc.wallet_registered"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    address: WalletAddress
    deposit_reference: DepositReference
    proof_of_control: Literal["verified", "pending"]


class WalletFrozen(Message):
    TYPE = "kyc.wallet_frozen"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    reason: ReasonCode


class WalletUnfrozen(Message):
    TYPE = "kyc.wallet_unfrozen"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
