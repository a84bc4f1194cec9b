"""Issuance's local views of other services' facts: KYC's customers and wallets
(kyc.events), settlement's deposits (settlement.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class DepositView:
    """A deposit as settlement told it: credited to the reserve, matched to a wallet."""

    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    tokens: int
    refunded: bool
