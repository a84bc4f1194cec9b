"""KYC's contracts: eligibility for a redemption (saga step 1) and the facts other services
build their views from. Events carry ids and decisions only, never personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from eth_utils.address import is_checksum_address
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from schemas.ids import ReasonCode, Text
from schemas.message import Message, Struct
from schemas.money import CurrencyCode, TokenAmount
from schemas.sealed import Sealed, SealingKey

Tier = Literal["basic", "standard", "enhanced"]
"""Customer tier: sets per-transaction and rolling 24-hour redemption limits."""

DueDiligence = Literal["simplified", "standard", "enhanced"]


def _checksummed(address: str) -> str:
    if not is_checksum_address(address):
        raise ValueError("not an EIP-55 checksummed address")
    return address


WalletAddress = Annotated[
    str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"), AfterValidator(_checksummed)
]
"""An EVM address in its EIP-55 checksummed form: one spelling per address (so uniqueness
holds on the text), and a mistyped letter fails the checksum. The check is a validator, not
shown in the JSON Schema snapshots."""

EvmSignature = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$", to_lower=True)]
"""A secp256k1 signature as wallets give it: "0x" + r, s, v (65 bytes) in hex, kept in lower
case so that one signature has one spelling (the redemption service indexes it)."""

DepositReference = Annotated[str, StringConstraints(pattern=r"^CNH-[A-Z0-9]{10}$")]
"""What a customer writes on a bank transfer to the reserve account, so that settlement can
match the deposit to the wallet to mint to."""

# --- saga step 1: eligibility ---------------------------------------------------------


class CheckEligibility(Message):
    """May this customer redeem `amount` from `wallet_id` now? Reserves the amount against the
    customer's limits when yes (released by ReleaseReservation)."""

    TYPE = "kyc.check_eligibility"
    VERSION = 2  # v2: the signed request's terms and signature, the beneficiary account
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    payout_currency: CurrencyCode
    beneficiary_account_id: uuid.UUID
    quote_id: uuid.UUID | None
    deadline: int = Field(ge=0, le=2**40)
    signature: EvmSignature
    """The holder's EIP-712 signature of the request (schemas.signing.redemption_typed_data
    over the fields above): KYC recovers its signer and compares it with the wallet's
    registered address before it reserves anything."""
    accepted_at: AwareDatetime | None = None
    """When the platform accepted the request: the signed deadline is checked against it,
    not against the time the check runs (absent, a sender from before: KYC's clock)."""


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
    "signature_invalid",  # not signed by the wallet's key, or a signed term was changed
    "signature_expired",  # the signed deadline passed
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
    VERSION = 2  # v2: EVM addresses (EIP-55)
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
# Personal data travels only on this ingress topic, sealed to KYC (schemas/sealed.py); KYC
# stores it encrypted and never repeats it in an event or a log line.

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


class IndividualParticulars(Struct):
    """What an onboarding producer collected about a natural person: sealed to KYC on the
    wire (IndividualApplication.particulars), opened only in KYC's memory."""

    full_name: PersonalText
    aliases: Aliases = ()
    date_of_birth: dt.date
    nationality: CountryCode
    id_document: IdentityDocument
    address: PostalAddress


class CorporateParticulars(Struct):
    """A company's names, registration and address (the legal and trading names)."""

    legal_name: PersonalText
    trading_names: Aliases = ()
    registration_number: DocumentNumber
    date_of_incorporation: dt.date
    country_of_incorporation: CountryCode
    registered_address: PostalAddress


Particulars = IndividualParticulars | CorporateParticulars


class IndividualApplication(Message):
    """A natural person asks to become a customer. `customer_id` is chosen by the
    onboarding producer (the record key); a re-sent application for a known customer id
    is recorded but decided only once.

    Version 2: the personal fields moved into `particulars`, sealed to KYC's public key
    (schemas/sealed.py) with the context `sealing_context(IndividualApplication, id)`;
    version 1 carried them in clear and is no longer accepted."""

    TYPE = "kyc.individual_application"
    VERSION = 2
    customer_id: uuid.UUID
    due_diligence: DueDiligence
    """The evidence level the onboarding producer collected (sets the tier)."""
    particulars: Sealed
    """IndividualParticulars, sealed to "kyc"."""


class CorporateApplication(Message):
    """A company asks to become a customer. Version 2: `particulars` (CorporateParticulars)
    sealed to KYC, as for IndividualApplication."""

    TYPE = "kyc.corporate_application"
    VERSION = 2
    customer_id: uuid.UUID
    due_diligence: DueDiligence
    particulars: Sealed
    """CorporateParticulars, sealed to "kyc"."""


Application = IndividualApplication | CorporateApplication

PARTICULARS_OF: dict[type[Message], type[Particulars]] = {
    IndividualApplication: IndividualParticulars,
    CorporateApplication: CorporateParticulars,
}


def sealing_context(application: type[Application], customer_id: uuid.UUID) -> str:
    """What an application's particulars are bound to: its type and customer, so a sealed
    value copied into another application does not open."""
    return f"{application.TYPE}:{customer_id}"


def sealed_application(
    key: SealingKey, customer_id: uuid.UUID, due_diligence: DueDiligence, particulars: Particulars
) -> Application:
    """An application as a producer sends it: the particulars sealed to `key` (KYC's)."""
    kind = (
        IndividualApplication
        if isinstance(particulars, IndividualParticulars)
        else CorporateApplication
    )
    return kind(
        customer_id=customer_id,
        due_diligence=due_diligence,
        particulars=key.seal(particulars, sealing_context(kind, customer_id)),
    )


AddressText = Annotated[
    str, StringConstraints(min_length=1, max_length=90, pattern=r"^[A-Za-z0-9]+$")
]
"""An address as a registrant wrote it: KYC refuses one that is not an EIP-55 address with
a typed reason (a history entry), not as an undecodable message."""


class RegisterWallet(Message):
    """A customer registers a wallet, an EVM address. Proof of control: an EIP-191 signature
    by the address's key over schemas.signing.wallet_challenge(customer_id, wallet_id,
    address) makes it "verified"; without a valid one it stays "pending" (a later
    registration of the same wallet with a valid signature verifies it). An address that is
    not EIP-55 checksummed is refused ("address_malformed")."""

    TYPE = "kyc.register_wallet"
    VERSION = 2  # v2: EVM addresses, EIP-191 proofs (the Ed25519 key and signature went)
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    address: AddressText
    signature: EvmSignature | None = None


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
