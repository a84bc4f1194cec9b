"""The token ledger's rules: who may be minted to, the proof of reserve, a hold's life, the
accounts every movement debits and credits, and the supply invariant. Pure: no driver, no
broker; the repository stores what these functions decide.

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
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from schemas.ids import derive_id
from schemas.issuance import HoldRejectReason, MintRejectReason
from schemas.money import MAX_MINOR_UNITS, PAR_CURRENCY, TOKEN, Money, par_tokens

R = TypeVar("R", bound=str, covariant=True)

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


# --- outcomes of a decision -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal(Generic[R]):
    """A business rejection: a reason code the sender branches on, and words for people."""

    reason: R
    detail: str


@dataclass(frozen=True, slots=True)
class Proceed:
    """Apply the command: move tokens."""


@dataclass(frozen=True, slots=True)
class Replay:
    """Already done under another command id: answer with the original outcome."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """Nothing to release yet: record the redemption as cancelled."""


PROCEED, REPLAY, CANCEL = Proceed(), Replay(), Cancel()


# --- the local view of KYC --------------------------------------------------------------

CustomerStatus = Literal["pending", "verified", "rejected", "referred"]


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer_id: uuid.UUID
    status: CustomerStatus
    frozen: bool


@dataclass(frozen=True, slots=True)
class WalletView:
    wallet_id: uuid.UUID
    customer_id: uuid.UUID
    registered: bool
    """False while only a freeze was heard of (KYC events are ordered per customer, but a
    view rebuilt from a partial log may see a freeze first)."""
    proof_of_control: Literal["verified", "pending"] | None
    frozen: bool


def mint_refusal(
    customer_id: uuid.UUID, wallet: WalletView | None, customer: CustomerView | None
) -> Refusal[MintRejectReason] | None:
    """Mint only to a registered wallet proven to belong to the depositing customer, who is
    verified and not frozen, and only while the wallet is not frozen."""
    if wallet is None or not wallet.registered:
        return Refusal("unknown_wallet", "no registered wallet with this id (yet)")
    if wallet.customer_id != customer_id:
        return Refusal("wallet_not_theirs", "the wallet is registered to another customer")
    if wallet.proof_of_control != "verified":
        return Refusal("wallet_not_theirs", "the customer's control of the wallet is not proven")
    if customer is None or customer.status != "verified":
        status = customer.status if customer else "unknown"
        return Refusal("customer_not_verified", f"customer status: {status}")
    if customer.frozen:
        return Refusal("customer_frozen", "the customer is frozen")
    if wallet.frozen:
        return Refusal("wallet_frozen", "the wallet is frozen")
    return None


# --- what settlement told: the deposits and the reserve (settlement.events) ------------
# A mint command says which deposit, wallet and amount, and what the reserve is; but a
# command is only as trusted as whoever can write the command topic, and that topic has
# more than one writer. So a mint needs a deposit settlement itself told of, and the
# supply after it is checked against the reserve summed from settlement's own facts.


@dataclass(frozen=True, slots=True)
class DepositView:
    """A deposit as settlement told it: credited to the reserve, matched to a wallet."""

    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    tokens: int
    refunded: bool


def deposit_refusal(
    customer_id: uuid.UUID, wallet_id: uuid.UUID, amount: int, deposit: DepositView | None
) -> Refusal[MintRejectReason] | None:
    """Mint only for a deposit settlement told of, to its wallet and customer, for its
    amount. An unknown one is "not yet" to settlement (the fact travels on another topic
    and may come later); to anyone else it is a refusal like the others."""
    if deposit is None:
        return Refusal("unknown_deposit", "settlement has told of no such deposit (yet)")
    if deposit.refunded:
        return Refusal("deposit_refunded", "the deposit was paid back to its payer")
    if (deposit.customer_id, deposit.wallet_id) != (customer_id, wallet_id):
        return Refusal("deposit_mismatch", "the deposit was matched to another wallet")
    if deposit.tokens != amount:
        return Refusal(
            "deposit_mismatch",
            f"the deposit mints {_fmt(deposit.tokens)}, not {_fmt(amount)}",
        )
    return None


def reserve_refusal(
    supply_before: int, amount: int, reserve_fen: int
) -> Refusal[MintRejectReason] | None:
    """Proof of reserve on every mint: the supply after it, at par, never exceeds the CNH
    reserve issuance learned from settlement's facts. Compared in token minor units, where
    par is exact (a CNH fen is 10^4 token units): no rounding either way."""
    supply_after = supply_before + amount
    if supply_after > MAX_MINOR_UNITS:
        return Refusal("reserve_shortfall", "the supply would leave the ledger's bounds")
    if supply_after > reserve_fen * par_tokens(_ONE_FEN).amount_minor:
        return Refusal(
            "reserve_shortfall",
            f"supply after the mint would be {_fmt(supply_after)}, above the reserve"
            f" {_fen(reserve_fen)} CNH",
        )
    return None


_ONE_FEN = Money(amount_minor=1, currency=PAR_CURRENCY)


def _fen(amount_fen: int) -> str:
    sign, whole = ("-" if amount_fen < 0 else ""), abs(amount_fen)
    return f"{sign}{whole // 100}.{whole % 100:02d}"


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
            f"balance {_fmt(balance)} is below the hold of {_fmt(amount)}",
        )
    return None


def _fmt(amount_minor: int) -> str:
    return str(tokens(amount_minor)) if amount_minor >= 0 else f"-{tokens(-amount_minor)}"


# --- a hold's life: placed -> released | burned, one way ---------------------------------


class HoldState(StrEnum):
    PLACED = "placed"
    RELEASED = "released"
    BURNED = "burned"
    CANCELLED = "cancelled"
    """Released before any hold was placed: a late PlaceHold is refused."""


TRANSITIONS: dict[HoldState | None, frozenset[HoldState]] = {
    None: frozenset({HoldState.PLACED, HoldState.CANCELLED}),
    HoldState.PLACED: frozenset({HoldState.RELEASED, HoldState.BURNED}),
    HoldState.RELEASED: frozenset(),
    HoldState.BURNED: frozenset(),
    HoldState.CANCELLED: frozenset(),
}
"""Holds never expire on their own: no transition happens without a command."""


@dataclass(frozen=True, slots=True)
class Hold:
    redemption_id: uuid.UUID
    state: HoldState
    hold_id: uuid.UUID | None
    wallet_id: uuid.UUID | None
    amount: int | None


def decide_place(
    existing: Hold | None, wallet_id: uuid.UUID, amount: int
) -> Proceed | Replay | Refusal[HoldRejectReason]:
    if existing is None:
        return PROCEED
    if existing.state in (HoldState.CANCELLED, HoldState.RELEASED):
        return Refusal("cancelled", f"the redemption was released first ({existing.state})")
    if existing.wallet_id == wallet_id and existing.amount == amount:
        return REPLAY  # the same hold asked again under another command id: one hold only
    return Refusal("duplicate_redemption", "another hold already exists for this redemption")


def decide_release(
    existing: Hold | None,
) -> Proceed | Replay | Cancel | Refusal[Literal["already_burned"]]:
    if existing is None:
        return CANCEL
    if existing.state is HoldState.PLACED:
        return PROCEED
    if existing.state is HoldState.BURNED:
        return Refusal("already_burned", "the held tokens were burned")
    return REPLAY


def decide_burn(
    existing: Hold | None,
) -> Proceed | Replay | Refusal[Literal["unknown_hold", "hold_released"]]:
    if existing is None:
        return Refusal("unknown_hold", "no hold for this redemption")
    if existing.state is HoldState.PLACED:
        return PROCEED
    if existing.state is HoldState.BURNED:
        return REPLAY
    return Refusal("hold_released", f"the hold was {existing.state}: nothing left to burn")


# --- movements ----------------------------------------------------------------------------

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


# --- supply -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supply:
    """What the ledger says, from its account balances and, independently, its journal."""

    minted: int
    """-balance of issuer:minted."""
    burned: int
    """balance of issuer:burned."""
    balances: int
    """sum of wallet balances (frozen ones included: they stay backed)."""
    holds: int
    """sum of hold balances."""
    journal_minted: int
    journal_burned: int
    placed_holds: int
    """sum of the amounts of holds in state placed."""
    accounts_sum: int
    """sum of every account balance: zero when every movement balanced."""

    @property
    def supply(self) -> int:
        return self.minted - self.burned

    def violations(self) -> list[str]:
        found = []
        if self.supply != self.balances + self.holds:
            found.append("minted - burned != balances + holds")
        if (self.journal_minted, self.journal_burned) != (self.minted, self.burned):
            found.append("journal totals differ from the issuer accounts")
        if self.placed_holds != self.holds:
            found.append("placed holds differ from the hold accounts")
        if self.accounts_sum != 0:
            found.append("account balances do not sum to zero")
        return found

    def render(self) -> str:
        lines = [
            f"{name:<9} {_fmt(value)}"
            for name, value in (
                ("minted", self.minted),
                ("burned", self.burned),
                ("supply", self.supply),
                ("balances", self.balances),
                ("holds", self.holds),
            )
        ]
        problems = self.violations()
        verdict = "holds" if not problems else "BROKEN: " + "; ".join(problems)
        lines.append(f"invariant minted - burned == balances + holds: {verdict}")
        return "\n".join(lines)
