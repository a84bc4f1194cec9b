"""Settlement's contracts: bank notifications (ingress), payouts (saga step 4), the reserve
release (step 5), and the fiat facts other services and auditors read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.ids import NulFree, Text
from schemas.message import Message, Struct
from schemas.money import CnhAmount, Money, TokenAmount
from schemas.sealed import Sealed, SealingKey

BankReference = Annotated[
    str, StringConstraints(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9/\-?:().,'+ ]+$")
]
"""A bank's own reference for a transfer (SWIFT character set, 35 characters)."""


class BankAccount(Struct):
    holder_name: Annotated[str, StringConstraints(min_length=1, max_length=140), NulFree]
    account_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,34}$")]
    bank_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,11}$")]
    """A BIC, or a local clearing code (HK: 3-digit bank code)."""
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


# --- ingress: settlement.bank-notifications -------------------------------------------


class DepositParticulars(Struct):
    """Who paid and what they wrote: sealed to settlement on the wire
    (DepositReceived.particulars), opened only in settlement's memory."""

    payer: BankAccount
    remittance: Annotated[str, StringConstraints(max_length=140), NulFree]
    """The payer's remittance text: should carry the customer's deposit reference."""


class DepositReceived(Message):
    """The bank credited the issuer's CNH reserve account.

    Version 2: the payer and the remittance text moved into `particulars`, sealed to
    settlement's public key with the context `deposit_context(bank_reference)`; version 1
    carried them in clear and is no longer accepted."""

    TYPE = "settlement.deposit_received"
    VERSION = 2
    bank_reference: BankReference
    amount: CnhAmount
    value_date: dt.date
    particulars: Sealed
    """DepositParticulars, sealed to "settlement"."""


def deposit_context(bank_reference: str) -> str:
    """What a deposit's particulars are bound to: the bank credit they came with."""
    return f"{DepositReceived.TYPE}:{bank_reference}"


def deposit_received(
    key: SealingKey,
    bank_reference: str,
    amount: Money,
    value_date: dt.date,
    particulars: DepositParticulars,
) -> DepositReceived:
    """A deposit notice as a bank integration sends it: particulars sealed to `key`."""
    return DepositReceived(
        bank_reference=bank_reference,
        amount=amount,
        value_date=value_date,
        particulars=key.seal(particulars, deposit_context(bank_reference)),
    )


# --- beneficiary accounts: KYC asks the bank, through settlement --------------------------
# (settlement.account-checks, replies on kyc.replies; key: the account id)


class CheckBankAccount(Message):
    """KYC found the holder name to be the customer's: does the bank know the account, open,
    under that holder? Settlement asks the bank and keeps the account on file (sealed) for
    payouts; `account` is a BankAccount sealed to "settlement" under
    `account_check_context`."""

    TYPE = "settlement.check_bank_account"
    account_id: uuid.UUID
    customer_id: uuid.UUID
    account: Sealed


AccountCheckResult = Literal["match", "mismatch", "not_found", "closed"]
"""The bank's answer (a confirmation-of-payee check): the account is open under that holder
name; it is held under another name; no such account; closed."""


class BankAccountChecked(Message):
    TYPE = "settlement.bank_account_checked"
    account_id: uuid.UUID
    customer_id: uuid.UUID
    result: AccountCheckResult


def account_check_context(customer_id: uuid.UUID, account_id: uuid.UUID) -> str:
    return f"{CheckBankAccount.TYPE}:{customer_id}:{account_id}"


# --- saga step 4: the payout (the pivot) ----------------------------------------------


class SendPayout(Message):
    """Pay `amount` to the holder's bank account. At most one payout per redemption."""

    TYPE = "settlement.send_payout"
    VERSION = 2  # v2: the beneficiary is an account id on file, never the details
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    amount: Money
    beneficiary_account_id: uuid.UUID
    """A bank account KYC verified for `customer_id`: settlement pays only to it."""
    par_value: CnhAmount
    """The CNH par value of the redeemed tokens (what leaves the reserve at step 5)."""
    conversion_id: uuid.UUID | None
    """The FX conversion that bought `amount`; None for a CNH payout."""


class PayoutSent(Message):
    """The bank accepted the payment order (settlement follows as an event)."""

    TYPE = "settlement.payout_sent"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    rail: Literal["FPS", "CHATS", "RTGS", "SWIFT"]
    bank_reference: BankReference


PayoutRejectReason = Literal[
    "invalid_account",
    "closed_account",
    "unsupported_currency",
    "insufficient_liquidity",
    "beneficiary_unknown",  # no account on file under the id
    "beneficiary_not_theirs",  # on file for another customer
    "beneficiary_not_verified",  # on file, not (or no longer) verified by KYC
]


class PayoutRejected(Message):
    """A definite rejection before execution: no money left; the saga compensates."""

    TYPE = "settlement.payout_rejected"
    redemption_id: uuid.UUID
    reason: PayoutRejectReason
    detail: Text


class PayoutOutcomeUnknown(Message):
    """The bank did not answer in time: the payment may or may not have been made. Never
    compensated: resolved by status query and reconciliation."""

    TYPE = "settlement.payout_outcome_unknown"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    detail: Text


class QueryPayout(Message):
    TYPE = "settlement.query_payout"
    redemption_id: uuid.UUID


PayoutState = Literal["not_found", "unknown", "sent", "settled", "rejected", "returned"]


class PayoutStatus(Message):
    TYPE = "settlement.payout_status"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID | None
    state: PayoutState
    detail: Text


# --- saga step 5: the reserve release -------------------------------------------------


class ReleaseReserve(Message):
    """Tokens were burned: their par value leaves the CNH reserve."""

    TYPE = "settlement.release_reserve"
    redemption_id: uuid.UUID
    amount: CnhAmount


class ReserveReleased(Message):
    TYPE = "settlement.reserve_released"
    redemption_id: uuid.UUID
    amount: CnhAmount
    reserve_after: CnhAmount


# --- facts (settlement.events) --------------------------------------------------------
# Issuance keeps its own view of the reserve and of the deposits it may mint for from the
# next two facts alone (only settlement writes this topic): a mint command's own figures
# are never what makes a mint possible.


class ReserveMoved(Message):
    """One journal entry moved the CNH reserve account (reserve_bank:CNH): told once per
    entry (the message id derives from the entry id), on the key of the deposit or the
    redemption it is about, so a deposit's credit comes before what follows it."""

    TYPE = "settlement.reserve_moved"
    entry_id: uuid.UUID
    direction: Literal["in", "out"]
    amount: CnhAmount
    cause: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
    """The journal template (deposit_matched, reserve_released, refund_settled...)."""
    deposit_id: uuid.UUID | None
    redemption_id: uuid.UUID | None


class DepositMatched(Message):
    """A deposit credited to the reserve was matched to a wallet: settlement asks issuance
    to mint `tokens` for it to that wallet. Sent before each MintForDeposit of the deposit,
    on the deposit's key, after the ReserveMoved that credited it."""

    TYPE = "settlement.deposit_matched"
    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: CnhAmount
    tokens: TokenAmount


class DepositConfirmed(Message):
    TYPE = "settlement.deposit_confirmed"
    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: CnhAmount
    tokens: TokenAmount
    bank_reference: BankReference


class DepositSuspended(Message):
    """Unmatched or unmintable: held in suspense until an operator refunds it."""

    TYPE = "settlement.deposit_suspended"
    deposit_id: uuid.UUID
    amount: CnhAmount
    bank_reference: BankReference
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class PayoutSettled(Message):
    TYPE = "settlement.payout_settled"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    amount: Money
    settled_at: AwareDatetime


class PayoutFailed(Message):
    """The bank rejected the payment after accepting it (before any money left)."""

    TYPE = "settlement.payout_failed"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class PayoutReturned(Message):
    """A settled payment came back days later: a new case, history is not undone."""

    TYPE = "settlement.payout_returned"
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    case_id: uuid.UUID
    amount: Money
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


# --- ingress from the bank: payout notices and account statements ---------------------
# What a bank integration delivers on settlement.bank-notifications (key: bank reference,
# or the statement id for a statement), besides DepositReceived. `end_to_end_id` is the
# instruction id settlement gave the payment order (the payout id): rails carry it through,
# so a notice or a statement line matches its payout even when the order timed out.

BankReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class PayoutSettledNotice(Message):
    """The bank executed the payment: the money left the issuer's account."""

    TYPE = "settlement.payout_settled_notice"
    bank_reference: BankReference
    end_to_end_id: uuid.UUID
    amount: Money
    settled_at: AwareDatetime


class PayoutRejectedNotice(Message):
    """The bank (or the beneficiary's bank) refused an accepted order; no money left."""

    TYPE = "settlement.payout_rejected_notice"
    bank_reference: BankReference
    end_to_end_id: uuid.UUID
    reason: BankReasonCode
    detail: Text
    rejected_at: AwareDatetime


class PayoutReturnedNotice(Message):
    """A settled payment came back (closed account found later, beneficiary refused...)."""

    TYPE = "settlement.payout_returned_notice"
    bank_reference: BankReference
    """The return's own reference."""
    original_bank_reference: BankReference
    end_to_end_id: uuid.UUID
    amount: Money
    reason: BankReasonCode
    returned_at: AwareDatetime


class StatementLine(Struct):
    bank_reference: BankReference
    end_to_end_id: uuid.UUID | None
    direction: Literal["debit", "credit"]
    """From the account holder's side: a debit took money out of the issuer's account."""
    amount: Money
    booked_at: AwareDatetime
    description: Annotated[str, StringConstraints(max_length=140), NulFree]


MAX_STATEMENT_LINES = 500


class BankStatement(Message):
    """One page of the bank's statement of the issuer's account for (period_start,
    period_end]: every booking is on exactly one page of one statement (a booking committed
    late is on the next statement). Keyed by the account number, so statements stay in
    order."""

    TYPE = "settlement.bank_statement"
    statement_id: BankReference
    sequence: Annotated[int, Field(ge=1, le=10**9)]
    """Statements of an account are numbered without gaps (as MT940's statement number): a
    missing number means a statement not received yet."""
    account_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,34}$")]
    period_start: AwareDatetime
    period_end: AwareDatetime
    page: Annotated[int, Field(ge=1, le=10_000)]
    pages: Annotated[int, Field(ge=1, le=10_000)]
    lines: Annotated[tuple[StatementLine, ...], Field(max_length=MAX_STATEMENT_LINES)]


# --- facts (settlement.events): refunds of suspended deposits -------------------------


class DepositRefunded(Message):
    """An operator refunded a suspended deposit to its payer, and the bank settled it."""

    TYPE = "settlement.deposit_refunded"
    deposit_id: uuid.UUID
    payout_id: uuid.UUID
    amount: CnhAmount
    bank_reference: BankReference


# --- the reserve watch: settlement.events -------------------------------------------------

ReserveExceptionKind = Literal[
    "coverage_shortfall", "unbacked_mint", "unbacked_payout", "unbacked_reserve_movement"
]


class ReserveException(Struct):
    kind: ReserveExceptionKind
    reference: Annotated[str, StringConstraints(min_length=1, max_length=64), NulFree]
    """A deposit, payout, mint or journal entry id, or an account code."""
    amount_minor: Annotated[int, Field(ge=0, le=10**18)]
    """Minor units: fen, or token units for a mint."""


class ReserveAlert(Message):
    """The periodic attestation found the reserve's backing broken (status "exceptions"), or
    a broken state cleared ("cleared"). Sent once per distinct exception state (the kinds
    and references), not every round. Ids, kinds and figures only: no personal data.
    Key: "reserve"."""

    TYPE = "settlement.reserve_alert"
    status: Literal["exceptions", "cleared"]
    exceptions: Annotated[list[ReserveException], Field(max_length=100)]
    """The first hundred, ordered by kind and reference."""
    total: Annotated[int, Field(ge=0)]
    """How many exceptions there are in all."""
    supply: TokenAmount
    backing: CnhAmount
    """The CNH reserve less money held for others (zero when below)."""
    checked_at: AwareDatetime
