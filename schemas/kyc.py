"""KYC's contracts: eligibility for a redemption (saga step 1) and the facts other services
build their views from. Events carry ids and decisions only, never personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas.ids import ReasonCode, Text
from schemas.message import Message, Struct
from schemas.money import CurrencyCode, TokenAmount
from schemas.sealed import Sealed

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
    VERSION = 2  # v2: the beneficiary account is named (required: a v1 check named none)
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    payout_currency: CurrencyCode
    beneficiary_account_id: uuid.UUID


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
    "beneficiary_unknown",  # no account registered under the id
    "beneficiary_not_theirs",  # registered to another customer
    "beneficiary_not_verified",  # theirs, but still being checked, or refused
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


class BankAccountVerified(Message):
    """A beneficiary account passed the first-party check: its holder is the customer (by
    the KYC name) and the bank confirmed the account and its holder. Payouts may go to it."""

    TYPE = "kyc.bank_account_verified"
    customer_id: uuid.UUID
    account_id: uuid.UUID


BankAccountRefusal = Literal[
    "unknown_customer",  # no customer with this id
    "customer_not_verified",  # referred or rejected: register again once verified
    "name_mismatch",  # the holder name is not the customer's KYC name
    "account_conflict",  # the account id is registered already, with other details
    "unreadable",  # the sealed details do not open (another key, record or alteration)
    "bank_name_mismatch",  # the bank holds the account under another name
    "bank_account_not_found",
    "bank_account_closed",
    "check_failed",  # settlement could not read the check (a sealing fault)
]


class BankAccountRefused(Message):
    """A beneficiary account that will never be paid to (ids and the reason only)."""

    TYPE = "kyc.bank_account_refused"
    customer_id: uuid.UUID
    account_id: uuid.UUID
    reason: BankAccountRefusal


class WalletFrozen(Message):
    TYPE = "kyc.wallet_frozen"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    reason: ReasonCode


class WalletUnfrozen(Message):
    TYPE = "kyc.wallet_unfrozen"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID


# --- ingress (kyc.applications): from onboarding producers ----------------------------
# Personal data travels only on this ingress topic; KYC stores it encrypted and never
# repeats it in an event or a log line.

PersonalText = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=140,
        pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
    ),
]
"""A name or address line: 1-140 characters, no control characters, not only spaces."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 (upper case)."""

DocumentNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{2,29}$")]
"""An identity document or company registration number (upper case, 3-30 characters)."""

Aliases = Annotated[tuple[PersonalText, ...], Field(max_length=10)]


class IdentityDocument(Struct):
    kind: Literal["passport", "national_id", "driving_licence"]
    number: DocumentNumber
    issuing_country: CountryCode


class PostalAddress(Struct):
    lines: Annotated[tuple[PersonalText, ...], Field(min_length=1, max_length=4)]
    city: PersonalText
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{1,16}$")] | None = None
    country: CountryCode


class IndividualApplication(Message):
    """A natural person asks to become a customer. `customer_id` is chosen by the
    onboarding producer (the record key); a re-sent application for a known customer id
    is recorded but decided only once."""

    TYPE = "kyc.individual_application"
    customer_id: uuid.UUID
    full_name: PersonalText
    aliases: Aliases = ()
    date_of_birth: dt.date
    nationality: CountryCode
    id_document: IdentityDocument
    address: PostalAddress
    due_diligence: DueDiligence
    """The evidence level the onboarding producer collected (sets the tier)."""


class CorporateApplication(Message):
    """A company asks to become a customer (names are the legal and trading names)."""

    TYPE = "kyc.corporate_application"
    customer_id: uuid.UUID
    legal_name: PersonalText
    trading_names: Aliases = ()
    registration_number: DocumentNumber
    date_of_incorporation: dt.date
    country_of_incorporation: CountryCode
    registered_address: PostalAddress
    due_diligence: DueDiligence


Ed25519PublicKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Ed25519Signature = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$")]


class RegisterWallet(Message):
    """A customer registers a wallet address. Proof of control: an Ed25519 signature (hex)
    by `public_key` over the challenge "cnh-kyc-wallet:<customer_id>:<wallet_id>:<address>"
    makes it "verified"; without a valid one it stays "pending" (a later registration of
    the same wallet with a valid signature verifies it)."""

    TYPE = "kyc.register_wallet"
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    address: WalletAddress
    public_key: Ed25519PublicKey | None = None
    signature: Ed25519Signature | None = None


class RegisterBankAccount(Message):
    """A customer registers a bank account to be paid out to. `account` is a
    schemas.settlement.BankAccount sealed to "kyc" under `bank_account_context`: only KYC
    reads the details, and the saga and its topics only ever name `account_id`. The answer
    is BankAccountVerified or BankAccountRefused on kyc.events."""

    TYPE = "kyc.register_bank_account"
    customer_id: uuid.UUID
    account_id: uuid.UUID
    """Chosen by the onboarding producer; what a redemption names as its beneficiary."""
    account: Sealed


def bank_account_context(customer_id: uuid.UUID, account_id: uuid.UUID) -> str:
    """What a registered account is sealed to KYC under: it opens for this customer's
    account id and no other."""
    return f"{RegisterBankAccount.TYPE}:{customer_id}:{account_id}"
