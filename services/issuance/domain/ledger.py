"""The ledger's accounts, the ids its rows derive from, and the movements between accounts.

Accounts (balances in token minor units, 6 decimals; balance = credits - debits):
  wallet:<wallet id>   a holder's spendable tokens                 never negative
  hold:<hold id>       tokens held for one redemption              never negative
  issuer:minted        the source of every token (minus minted)    never positive
  issuer:burned        the sink of every burned token              never negative
Every movement debits one account and credits another by the same amount, so the balances
always sum to zero, and supply = minted - burned = wallets + holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from schemas.ids import derive_id
from schemas.money import TOKEN, Money

ISSUER_MINTED = "issuer:minted"
ISSUER_BURNED = "issuer:burned"


def wallet_account(wallet_id: uuid.UUID) -> str:
    return f"wallet:{wallet_id}"


def hold_account(hold_id: uuid.UUID) -> str:
    return f"hold:{hold_id}"


# Ids derive from the business key, so a retried transaction writes the very same rows.
def mint_id(deposit_id: uuid.UUID) -> uuid.UUID:
    return derive_id(deposit_id, "issuance", "mint")


def hold_id(redemption_id: uuid.UUID) -> uuid.UUID:
    return derive_id(redemption_id, "issuance", "hold")


def burn_id(redemption_id: uuid.UUID) -> uuid.UUID:
    return derive_id(redemption_id, "issuance", "burn")


def tokens(amount_minor: int) -> Money:
    return Money(amount_minor=amount_minor, currency=TOKEN)


def tokens_text(amount_minor: int) -> str:
    """An amount of token minor units for people, negative ones too."""
    return str(tokens(amount_minor)) if amount_minor >= 0 else f"-{tokens(-amount_minor)}"


MovementKind = Literal["mint", "hold", "release", "burn"]


@dataclass(frozen=True, slots=True)
class Movement:
    """One double-entry posting: `amount` leaves `debit` and arrives in `credit`."""

    movement_id: uuid.UUID
    kind: MovementKind
    debit: str
    credit: str
    amount: int
    wallet_id: uuid.UUID
    deposit_id: uuid.UUID | None = None
    redemption_id: uuid.UUID | None = None


def mint_movement(deposit_id: uuid.UUID, wallet_id: uuid.UUID, amount: int) -> Movement:
    return Movement(
        mint_id(deposit_id), "mint", ISSUER_MINTED, wallet_account(wallet_id), amount,
        wallet_id, deposit_id=deposit_id,
    )  # fmt: skip


def hold_movement(redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int) -> Movement:
    return Movement(
        derive_id(redemption_id, "issuance", "hold", "movement"), "hold",
        wallet_account(wallet_id), hold_account(hold_id(redemption_id)), amount,
        wallet_id, redemption_id=redemption_id,
    )  # fmt: skip


def release_movement(redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int) -> Movement:
    return Movement(
        derive_id(redemption_id, "issuance", "release", "movement"), "release",
        hold_account(hold_id(redemption_id)), wallet_account(wallet_id), amount,
        wallet_id, redemption_id=redemption_id,
    )  # fmt: skip


def burn_movement(redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int) -> Movement:
    return Movement(
        burn_id(redemption_id), "burn", hold_account(hold_id(redemption_id)), ISSUER_BURNED,
        amount, wallet_id, redemption_id=redemption_id,
    )  # fmt: skip
