"""KYC's facts (kyc.events), kept as issuance's local view of customers and wallets: what a
mint or a hold asks of its wallet and customer."""

from __future__ import annotations

from schemas.kyc import (
    CustomerFrozen,
    CustomerReferred,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    WalletFrozen,
    WalletRegistered,
    WalletUnfrozen,
)
from services.issuance.use_cases.work import IssuanceWork


async def customer_verified(work: IssuanceWork, event: CustomerVerified) -> None:
    await work.kyc.set_customer_status(event.customer_id, "verified", None, work.message_id)


async def customer_rejected(work: IssuanceWork, event: CustomerRejected) -> None:
    await work.kyc.set_customer_status(event.customer_id, "rejected", event.reason, work.message_id)


async def customer_referred(work: IssuanceWork, event: CustomerReferred) -> None:
    # under manual review (a possible sanctions hit...): no mints until verified again
    await work.kyc.set_customer_status(event.customer_id, "referred", event.reason, work.message_id)


async def customer_frozen(work: IssuanceWork, event: CustomerFrozen) -> None:
    await work.kyc.set_customer_frozen(event.customer_id, True, event.reason, work.message_id)


async def customer_unfrozen(work: IssuanceWork, event: CustomerUnfrozen) -> None:
    await work.kyc.set_customer_frozen(event.customer_id, False, None, work.message_id)


async def wallet_registered(work: IssuanceWork, event: WalletRegistered) -> None:
    await work.kyc.register_wallet(
        event.wallet_id, event.customer_id, event.proof_of_control, work.message_id
    )


async def wallet_frozen(work: IssuanceWork, event: WalletFrozen) -> None:
    await work.kyc.set_wallet_frozen(
        event.wallet_id, event.customer_id, True, event.reason, work.message_id
    )


async def wallet_unfrozen(work: IssuanceWork, event: WalletUnfrozen) -> None:
    await work.kyc.set_wallet_frozen(
        event.wallet_id, event.customer_id, False, None, work.message_id
    )
