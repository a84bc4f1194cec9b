"""Issuance's contracts: the token ledger's commands (mint, hold, release, burn), their
replies, and the facts (issuance.events) that link every token to its fiat movement."""

from __future__ import annotations

import uuid
from typing import Literal

from schemas.ids import Text
from schemas.message import Message
from schemas.money import CnhAmount, TokenAmount

# --- mint: settlement asks, once per confirmed deposit --------------------------------


class MintForDeposit(Message):
    """Mint `amount` (par of the deposit) to the wallet the deposit was matched to.

    Issuance mints only for a deposit settlement told it of on settlement.events
    (DepositMatched: same customer, wallet and amount) and only while the supply after the
    mint stays within the reserve it learned from settlement's ReserveMoved facts.
    `reserve_balance` (settlement's reserve after crediting this deposit) is kept for
    compatibility and audit: whoever writes this topic writes it, so it decides nothing."""

    TYPE = "issuance.mint_for_deposit"
    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    reserve_balance: CnhAmount


class Minted(Message):
    TYPE = "issuance.minted"
    deposit_id: uuid.UUID
    mint_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    supply_after: TokenAmount


MintRejectReason = Literal[
    "unknown_wallet",
    "wallet_frozen",
    "customer_not_verified",
    "customer_frozen",
    "wallet_not_theirs",
    "reserve_shortfall",
    "unknown_deposit",  # settlement told of no such deposit (yet): the fact may be on its way
    "deposit_mismatch",  # the deposit settlement told of is another wallet's, or another amount
    "deposit_refunded",  # settlement paid the deposit back to its payer
]


class MintRejected(Message):
    """Settlement acts on it: refund or suspense."""

    TYPE = "issuance.mint_rejected"
    deposit_id: uuid.UUID
    reason: MintRejectReason
    detail: Text


# --- saga step 2: hold, and its compensation ------------------------------------------


class PlaceHold(Message):
    TYPE = "issuance.place_hold"
    redemption_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount


class HoldPlaced(Message):
    TYPE = "issuance.hold_placed"
    redemption_id: uuid.UUID
    hold_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount


HoldRejectReason = Literal[
    "insufficient_balance",
    "unknown_wallet",
    "wallet_frozen",
    "cancelled",  # a release for this redemption arrived first
    "duplicate_redemption",  # another hold command already holds for this redemption
]


class HoldRejected(Message):
    TYPE = "issuance.hold_rejected"
    redemption_id: uuid.UUID
    reason: HoldRejectReason
    detail: Text


class ReleaseHold(Message):
    """Compensation of step 2: tokens go back to the wallet. With no hold yet, records the
    redemption as cancelled so that a late PlaceHold is refused."""

    TYPE = "issuance.release_hold"
    redemption_id: uuid.UUID


class HoldReleased(Message):
    TYPE = "issuance.hold_released"
    redemption_id: uuid.UUID
    hold_id: uuid.UUID | None
    """None when no hold existed (the cancellation is recorded)."""
    wallet_id: uuid.UUID | None
    amount: TokenAmount | None


class ReleaseRejected(Message):
    TYPE = "issuance.release_rejected"
    redemption_id: uuid.UUID
    reason: Literal["already_burned"]
    detail: Text


# --- saga step 5: burn ------------------------------------------------------------------


class BurnHeld(Message):
    TYPE = "issuance.burn_held"
    redemption_id: uuid.UUID


class Burned(Message):
    TYPE = "issuance.burned"
    redemption_id: uuid.UUID
    burn_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: TokenAmount
    supply_after: TokenAmount


class BurnRejected(Message):
    TYPE = "issuance.burn_rejected"
    redemption_id: uuid.UUID
    reason: Literal["unknown_hold", "hold_released"]
    detail: Text
