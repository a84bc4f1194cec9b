"""Settlement's contracts: bank notifications (ingress), payouts (saga step 4), the reserve
release (step 5), and the fiat facts other services and auditors read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, StringConstraints

from schemas.ids import Text
from schemas.message import Message, Struct
from schemas.money import CnhAmount, Money, TokenAmount

BankReference = Annotated[
    str, StringConstraints(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9/\-?:().,'+ ]+$")
]
"""A bank's own reference for a transfer (SWIFT character set, 35 characters)."""


class BankAccount(Struct):
    holder_name: Annotated[str, StringConstraints(min_length=1, max_length=140)]
    account_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,34}$")]
    bank_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,11}$")]
    """A BIC, or a local clearing code (HK: 3-digit bank code)."""
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


# --- ingress: settlement.bank-notifications -------------------------------------------


class DepositReceived(Message):
    """The bank credited the issuer's CNH reserve account."""

    TYPE = "settlement.deposit_received"
    bank_reference: BankReference
    amount: CnhAmount
    deposit_reference: Annotated[str, StringConstraints(max_length=140)]
    """The payer's remittance text: should carry the customer's deposit reference."""
    payer: BankAccount
    value_date: dt.date


# --- saga step 4: the payout (the pivot) ----------------------------------------------


class SendPayout(Message):
    """Pay `amount` to the holder's bank account. At most one payout per redemption."""

    TYPE = "settlement.send_payout"
    redemption_id: uuid.UUID
    amount: Money
    beneficiary: BankAccount
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
    "invalid_account", "closed_account", "unsupported_currency", "insufficient_liquidity"
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
