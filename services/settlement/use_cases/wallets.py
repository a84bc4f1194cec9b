"""KYC's wallets as settlement needs them: a deposit reference -> its customer and wallet.
Money that arrived before its wallet was known waits in suspense, and is minted once KYC
registers the wallet."""

from __future__ import annotations

from schemas.kyc import WalletRegistered
from services.settlement.use_cases import deposits
from services.settlement.use_cases.work import SettlementWork


async def wallet_registered(work: SettlementWork, event: WalletRegistered) -> None:
    references = work.references
    await references.lock([event.deposit_reference])
    references.forget(event.deposit_reference)
    same = await references.register(event.deposit_reference, event.customer_id, event.wallet_id)
    if not same:
        await work.anomalies.record(
            "deposit_reference_conflict",
            event.deposit_reference,
            f"wallet {event.wallet_id} registered with a reference already in use",
        )
        return
    for deposit in await work.deposits.suspended_unmatched(event.deposit_reference):
        await deposits.retry(work, deposit)
