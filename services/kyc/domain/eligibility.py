"""May this customer redeem this amount from this wallet now? (saga step 1)

The checks run in a fixed order and the first failing one is the answer:
the wallet registered to the customer, and the request signed by the wallet's key before its
deadline (whoever relays a request learns nothing about a customer it cannot sign for);
customer verified, not frozen, not sanctioned; wallet's proof of control verified and wallet
not frozen; beneficiary account theirs and verified (payouts go to the customer's own
account only); due diligence sufficient for the amount; per-transaction limit; rolling
24-hour limit (live reservations of the last 24 hours plus this amount).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from schemas.kyc import IneligibleReason
from schemas.money import TOKEN, exponent, minor_to_decimal
from schemas.signing import expired
from services.kyc.domain.accounts import State as AccountState
from services.kyc.domain.onboarding import DueDiligence, Status, Tier

TOKEN_MINOR = 10 ** exponent(TOKEN)


@dataclass(frozen=True)
class TierLimits:
    per_transaction: int
    """Token minor units."""
    daily: int
    """Token minor units, over any rolling 24 hours."""


@dataclass(frozen=True)
class Policy:
    limits: Mapping[Tier, TierLimits]
    due_diligence_threshold_hkd: int
    cnh_hkd_rate: Decimal
    """HKD per CNH (one token redeems for one CNH)."""

    def needs_due_diligence(self, amount_minor: int) -> bool:
        """HK$8,000 equivalent or more (the HKD value is exact: no rounding involved)."""
        hkd = minor_to_decimal(amount_minor, TOKEN) * self.cnh_hkd_rate
        return hkd >= self.due_diligence_threshold_hkd


@dataclass(frozen=True)
class CustomerView:
    status: Status
    tier: Tier
    due_diligence: DueDiligence
    frozen: bool
    sanctioned: bool


@dataclass(frozen=True)
class WalletView:
    customer_id: uuid.UUID
    address: str
    proof_verified: bool
    frozen: bool


@dataclass(frozen=True)
class Signed:
    """What the request's signature says: who signed its terms (None: nobody recoverable)
    and until when."""

    signer: str | None
    deadline: int


@dataclass(frozen=True)
class BeneficiaryView:
    customer_id: uuid.UUID
    state: AccountState


@dataclass(frozen=True)
class Refusal:
    reason: IneligibleReason
    detail: str


def check(
    policy: Policy,
    customer_id: uuid.UUID,
    customer: CustomerView | None,
    wallet: WalletView | None,
    beneficiary: BeneficiaryView | None,
    amount_minor: int,
    reserved_last_24h_minor: int,
    signed: Signed,
    accepted_at: dt.datetime,
) -> Refusal | None:
    """None when eligible; otherwise the first rule that refuses. Details carry amounts
    and tiers, never personal data. `accepted_at`: when the platform accepted the request
    (its signed deadline is judged then, not when the check happens to run)."""
    if wallet is None or wallet.customer_id != customer_id:
        return Refusal("wallet_not_theirs", "the wallet is not registered to this customer")
    if expired(signed.deadline, accepted_at):
        return Refusal("signature_expired", "the request's signed deadline has passed")
    if signed.signer != wallet.address:
        return Refusal(
            "signature_invalid", "the request is not signed by the wallet's key as it stands"
        )
    if customer is None or customer.status == "referred":
        return Refusal("not_verified", "the customer is not verified")
    if customer.status == "rejected":
        return Refusal("customer_rejected", "the customer was rejected at onboarding")
    if customer.frozen:
        return Refusal("customer_frozen", "the customer is frozen")
    if customer.sanctioned:
        return Refusal("sanctioned", "the customer matches a sanctions list")
    if not wallet.proof_verified:
        return Refusal("wallet_not_theirs", "the wallet's proof of control is pending")
    if wallet.frozen:
        return Refusal("wallet_frozen", "the wallet is frozen")
    if beneficiary is None:
        return Refusal("beneficiary_unknown", "no bank account is registered under this id")
    if beneficiary.customer_id != customer_id:
        return Refusal(
            "beneficiary_not_theirs", "the bank account is registered to another customer"
        )
    if beneficiary.state != "verified":
        return Refusal(
            "beneficiary_not_verified",
            "the bank account is being checked"
            if beneficiary.state == "checking"
            else "the bank account was refused",
        )
    if customer.due_diligence == "simplified" and policy.needs_due_diligence(amount_minor):
        return Refusal(
            "due_diligence_required",
            f"redemptions of HK${policy.due_diligence_threshold_hkd} equivalent or more "
            "need standard due diligence",
        )
    limits = policy.limits[customer.tier]
    if amount_minor > limits.per_transaction:
        return Refusal(
            "over_transaction_limit",
            f"{_tokens(amount_minor)} exceeds the {customer.tier} tier's per-transaction "
            f"limit of {_tokens(limits.per_transaction)}",
        )
    if reserved_last_24h_minor + amount_minor > limits.daily:
        return Refusal(
            "over_daily_limit",
            f"{_tokens(amount_minor)} with {_tokens(reserved_last_24h_minor)} reserved in "
            f"the last 24 hours exceeds the {customer.tier} tier's limit of "
            f"{_tokens(limits.daily)}",
        )
    return None


def _tokens(amount_minor: int) -> str:
    return f"{minor_to_decimal(amount_minor, TOKEN):f} {TOKEN}"
