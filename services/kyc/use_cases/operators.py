"""An operator's decisions, outside any message: freeze and unfreeze customers and wallets,
clear or confirm a customer referred to manual review. The state change, its history row
(who, why) and its event commit together; the work's id is the action's, so it links the
history row and the event."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

from schemas import derive_id
from schemas.kyc import (
    CustomerFrozen,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    WalletFrozen,
    WalletUnfrozen,
)
from schemas.message import Message
from services.kyc.domain.onboarding import Status
from services.kyc.domain.records import HistoryEntry
from services.kyc.use_cases.onboarding import EVENTS
from services.kyc.use_cases.work import KycWork


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    changed: bool
    message: str


@dataclass(frozen=True)
class FreezeCustomer:
    customer_id: uuid.UUID
    frozen: bool
    """False: unfreeze."""
    reason: str
    actor: str


@dataclass(frozen=True)
class FreezeWallet:
    wallet_id: uuid.UUID
    frozen: bool
    """False: unfreeze."""
    reason: str
    actor: str


@dataclass(frozen=True)
class DecideReview:
    """A compliance officer's decision on a customer referred to manual review (a possible
    sanctions hit cleared or confirmed, evidence checked)."""

    customer_id: uuid.UUID
    approve: bool
    reason: str
    actor: str


async def freeze_customer(work: KycWork, command: FreezeCustomer) -> Outcome:
    customer_id, frozen = command.customer_id, command.frozen
    customer = await work.customers.of(customer_id, lock=True)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    if customer.frozen == frozen:
        return Outcome(False, f"customer {customer_id} is already {_state(frozen)}")
    await work.customers.update(
        dataclasses.replace(
            customer, frozen=frozen, freeze_reason=command.reason if frozen else None
        )
    )
    event: Message = (
        CustomerFrozen(customer_id=customer_id, reason=command.reason)
        if frozen
        else CustomerUnfrozen(customer_id=customer_id)
    )
    await _record(work, customer_id, None, event, command.reason, command.actor)
    return Outcome(True, f"customer {customer_id} {_state(frozen)}")


async def freeze_wallet(work: KycWork, command: FreezeWallet) -> Outcome:
    wallet_id, frozen = command.wallet_id, command.frozen
    wallet = await work.wallets.of(wallet_id, lock=True)
    if wallet is None:
        raise NotFound(f"no wallet {wallet_id}")
    if wallet.frozen == frozen:
        return Outcome(False, f"wallet {wallet_id} is already {_state(frozen)}")
    customer_id = wallet.customer_id
    await work.wallets.set_frozen(wallet_id, frozen, command.reason if frozen else None)
    event: Message = (
        WalletFrozen(customer_id=customer_id, wallet_id=wallet_id, reason=command.reason)
        if frozen
        else WalletUnfrozen(customer_id=customer_id, wallet_id=wallet_id)
    )
    await _record(work, customer_id, wallet_id, event, command.reason, command.actor)
    return Outcome(True, f"wallet {wallet_id} {_state(frozen)}")


async def decide_review(work: KycWork, command: DecideReview) -> Outcome:
    """Verified or rejected, recorded with who and why, and announced like KYC's own
    decisions."""
    customer_id, approve = command.customer_id, command.approve
    customer = await work.customers.of(customer_id, lock=True)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    if customer.status != "referred":
        return Outcome(False, f"customer {customer_id} is {customer.status}, not under review")
    status: Status = "verified" if approve else "rejected"
    await work.customers.update(
        dataclasses.replace(customer, status=status, sanctioned=customer.sanctioned and not approve)
    )
    event: Message = (
        CustomerVerified(
            customer_id=customer_id, tier=customer.tier, due_diligence=customer.due_diligence
        )
        if approve
        else CustomerRejected(customer_id=customer_id, reason=command.reason)
    )
    await _record(work, customer_id, None, event, command.reason, command.actor)
    return Outcome(True, f"customer {customer_id} {status} after review ({command.reason})")


async def _record(
    work: KycWork,
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID | None,
    event: Message,
    reason: str,
    actor: str,
) -> None:
    action = event.TYPE.removeprefix("kyc.")
    await work.history.record(
        HistoryEntry(
            action, actor, customer_id=customer_id, wallet_id=wallet_id, reason=reason,
            cause_id=work.message_id,
        )
    )  # fmt: skip
    work.publish(EVENTS, str(customer_id), event, message_id=derive_id(work.message_id, action))


def _state(frozen: bool) -> str:
    return "frozen" if frozen else "unfrozen"
