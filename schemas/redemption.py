"""The redemption saga's contracts: requests from the wallet gateway (ingress
redemption.requests) and outcome events (redemption.events) the requester reads."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from schemas.ids import ReasonCode, Text
from schemas.kyc import EvmSignature
from schemas.message import Message
from schemas.money import CnhAmount, CurrencyCode, Money, TokenAmount
from schemas.rates import RateStr


class QuoteRedemption(Message):
    """Ask the price of a cross-currency redemption before committing to it."""

    TYPE = "redemption.quote_redemption"
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    payout_currency: CurrencyCode


class RedemptionQuoted(Message):
    """Disclosed to the customer before they commit: what they pay, get, and the fee."""

    TYPE = "redemption.quoted"
    redemption_id: uuid.UUID
    quote_id: uuid.UUID
    amount: TokenAmount
    payout: Money
    rate: RateStr
    fee: CnhAmount
    expires_at: AwareDatetime


class Redeem(Message):
    """Redeem `amount` tokens and pay the holder in `payout_currency`. The redemption id is
    the idempotency key: a repeated request gets the same outcome. `quote_id` (from
    RedemptionQuoted) is required unless the payout currency is CNH. The money goes only to
    `beneficiary_account_id`, an account KYC verified as the customer's own.

    Only the wallet's key holder may ask: `signature` is their EIP-712 signature of
    schemas.signing.redemption_typed_data (redemption id, wallet address, amount, payout
    currency, beneficiary account id, quote id, deadline). The gateway relays it and cannot
    change a term without invalidating it; it is refused once `deadline` (unix seconds) has
    passed, and under any other redemption id ("signature_replayed")."""

    TYPE = "redemption.redeem"
    VERSION = 2  # v2: signed by the wallet (EIP-712); the beneficiary is an account id
    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    payout_currency: CurrencyCode
    quote_id: uuid.UUID | None = None
    beneficiary_account_id: uuid.UUID
    """A bank account registered for the customer and verified (RegisterBankAccount)."""
    deadline: int = Field(ge=0, le=2**40)
    signature: EvmSignature


class RedemptionCompleted(Message):
    TYPE = "redemption.completed"
    redemption_id: uuid.UUID
    burned: TokenAmount
    paid: Money
    completed_at: AwareDatetime


class RedemptionFailed(Message):
    """Ended without payout; every step before it was compensated (tokens back in the
    wallet, conversion reversed, limit released)."""

    TYPE = "redemption.failed"
    redemption_id: uuid.UUID
    reason: ReasonCode
    detail: Text


class RedemptionNeedsReview(Message):
    """Parked for an operator: the outcome could not be decided automatically."""

    TYPE = "redemption.needs_review"
    redemption_id: uuid.UUID
    reason: ReasonCode
    detail: Text
