"""Who may be minted to, for which deposit, and within which reserve.

A mint command says which deposit, wallet and amount, and what the reserve is; but a
command is only as trusted as whoever can write the command topic, and that topic has
more than one writer. So a mint needs a deposit settlement itself told of, and the
supply after it is checked against the reserve summed from settlement's own facts.
"""

from __future__ import annotations

import uuid

from schemas.issuance import MintRejectReason
from schemas.money import MAX_MINOR_UNITS, PAR_CURRENCY, Money, par_tokens
from services.issuance.domain.ledger import tokens_text
from services.issuance.domain.outcomes import Refusal
from services.issuance.domain.views import CustomerView, DepositView, WalletView


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
            f"the deposit mints {tokens_text(deposit.tokens)}, not {tokens_text(amount)}",
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
            f"supply after the mint would be {tokens_text(supply_after)}, above the reserve"
            f" {_fen(reserve_fen)} CNH",
        )
    return None


_ONE_FEN = Money(amount_minor=1, currency=PAR_CURRENCY)


def _fen(amount_fen: int) -> str:
    sign, whole = ("-" if amount_fen < 0 else ""), abs(amount_fen)
    return f"{sign}{whole // 100}.{whole % 100:02d}"
