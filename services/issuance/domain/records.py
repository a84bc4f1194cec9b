"""What the ledger records of a mint, a burn and a command's decision, as the use cases
write them and the repository stores them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MintRow:
    mint_id: uuid.UUID
    deposit_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: int
    supply_after: int


@dataclass(frozen=True, slots=True)
class BurnRow:
    burn_id: uuid.UUID
    redemption_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: int
    supply_after: int


@dataclass(frozen=True, slots=True)
class Decision:
    command_id: uuid.UUID
    command_type: str
    outcome: str
    reason: str | None = None
    detail: str | None = None
    wallet_id: uuid.UUID | None = None
    deposit_id: uuid.UUID | None = None
    redemption_id: uuid.UUID | None = None
