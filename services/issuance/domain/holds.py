"""A hold's life, one way, and what may leave a wallet for one.

    (none) ──place──> placed ──release──> released
       │                 └─────burn─────> burned
       └──release──> cancelled   (released before any hold: a late PlaceHold is refused)

Each command has a table from the hold's state to its outcome; the decide functions read
the outcome there. Holds never expire on their own: no transition happens without a
command.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from schemas.issuance import HoldRejectReason
from services.issuance.domain.ledger import tokens_text
from services.issuance.domain.outcomes import (
    CANCEL,
    PROCEED,
    REPLAY,
    Cancel,
    Proceed,
    Refusal,
    Replay,
)
from services.issuance.domain.views import CustomerView, WalletView


class HoldState(StrEnum):
    PLACED = "placed"
    RELEASED = "released"
    BURNED = "burned"
    CANCELLED = "cancelled"
    """Released before any hold was placed: a late PlaceHold is refused."""


@dataclass(frozen=True, slots=True)
class Hold:
    redemption_id: uuid.UUID
    state: HoldState
    hold_id: uuid.UUID | None
    wallet_id: uuid.UUID | None
    amount: int | None


@dataclass(frozen=True, slots=True)
class _AskedAgain:
    """A hold exists: the same one asked again (under another command id) replays, any
    other is a second hold for one redemption."""


_ASKED_AGAIN = _AskedAgain()

PlaceOutcome = Proceed | Replay | Refusal[HoldRejectReason]
ReleaseOutcome = Proceed | Replay | Cancel | Refusal[Literal["already_burned"]]
BurnOutcome = Proceed | Replay | Refusal[Literal["unknown_hold", "hold_released"]]

_ON_PLACE: dict[HoldState | None, Proceed | _AskedAgain | Refusal[HoldRejectReason]] = {
    None: PROCEED,
    HoldState.PLACED: _ASKED_AGAIN,
    HoldState.BURNED: _ASKED_AGAIN,
    HoldState.RELEASED: Refusal("cancelled", "the redemption was released first (released)"),
    HoldState.CANCELLED: Refusal("cancelled", "the redemption was released first (cancelled)"),
}
_ON_RELEASE: dict[HoldState | None, ReleaseOutcome] = {
    None: CANCEL,
    HoldState.PLACED: PROCEED,
    HoldState.BURNED: Refusal("already_burned", "the held tokens were burned"),
    HoldState.RELEASED: REPLAY,  # released (or cancelled) before: the same answer
    HoldState.CANCELLED: REPLAY,
}
_ON_BURN: dict[HoldState | None, BurnOutcome] = {
    None: Refusal("unknown_hold", "no hold for this redemption"),
    HoldState.PLACED: PROCEED,
    HoldState.BURNED: REPLAY,
    HoldState.RELEASED: Refusal("hold_released", "the hold was released: nothing left to burn"),
    HoldState.CANCELLED: Refusal("hold_released", "the hold was cancelled: nothing left to burn"),
}
_DUPLICATE: Refusal[HoldRejectReason] = Refusal(
    "duplicate_redemption", "another hold already exists for this redemption"
)


def _state(hold: Hold | None) -> HoldState | None:
    return hold.state if hold else None


def decide_place(existing: Hold | None, wallet_id: uuid.UUID, amount: int) -> PlaceOutcome:
    outcome = _ON_PLACE[_state(existing)]
    if not isinstance(outcome, _AskedAgain):
        return outcome
    assert existing is not None, "only an existing hold is asked again"
    if existing.wallet_id == wallet_id and existing.amount == amount:
        return REPLAY  # one hold only
    return _DUPLICATE


def decide_release(existing: Hold | None) -> ReleaseOutcome:
    return _ON_RELEASE[_state(existing)]


def decide_burn(existing: Hold | None) -> BurnOutcome:
    return _ON_BURN[_state(existing)]


def hold_refusal(
    wallet: WalletView | None,
    customer: CustomerView | None,
    balance: int | None,
    amount: int,
) -> Refusal[HoldRejectReason] | None:
    """Tokens may leave a spendable balance for a hold only from a known, unfrozen wallet
    (a frozen customer's wallets count as frozen) that has them."""
    if wallet is None or not wallet.registered or balance is None:
        return Refusal("unknown_wallet", "no ledger account for this wallet")
    if wallet.frozen:
        return Refusal("wallet_frozen", "the wallet is frozen")
    if customer is not None and customer.frozen:
        return Refusal("wallet_frozen", "the wallet's customer is frozen")
    if balance < amount:
        return Refusal(
            "insufficient_balance",
            f"balance {tokens_text(balance)} is below the hold of {tokens_text(amount)}",
        )
    return None
