"""RegisterWallet: an EVM address registered to a customer, its proof of control verified
when the registration carries the address's own signature of KYC's challenge."""

from __future__ import annotations

from schemas.kyc import RegisterWallet, WalletRegistered
from services.kyc.domain.records import HistoryEntry, Proof, Wallet
from services.kyc.domain.wallets import address_refusal, new_deposit_reference, proof_of_control
from services.kyc.use_cases.onboarding import EVENTS
from services.kyc.use_cases.work import KycWork
from services.runtime.logging import get_logger

log = get_logger(__name__)


async def register_wallet(work: KycWork, command: RegisterWallet) -> None:
    customer_id, wallet_id = command.customer_id, command.wallet_id
    malformed = address_refusal(command.address)
    verified = malformed is None and proof_of_control(
        customer_id, wallet_id, command.address, command.signature
    )
    if malformed is not None:
        return await _refuse(work, command, malformed)
    if await work.customers.of(customer_id, lock=True) is None:
        return await _refuse(work, command, "unknown_customer")
    proof: Proof = "verified" if verified else "pending"
    existing = await work.wallets.of(wallet_id, lock=True)
    if existing is not None:
        if (existing.customer_id, existing.address) != (customer_id, command.address):
            return await _refuse(work, command, "wallet_conflict")
        if existing.proof_of_control == "verified" or command.signature is None or not verified:
            return None  # nothing new: a re-sent registration
        await work.wallets.verify(wallet_id, command.signature)
        reference = existing.deposit_reference
    else:
        if await work.wallets.address_taken(command.address):
            return await _refuse(work, command, "address_in_use")
        reference = new_deposit_reference()
        wallet = Wallet(wallet_id, customer_id, command.address, reference, proof, frozen=False)
        await work.wallets.insert(wallet, command.signature if verified else None)
    await _history(work, command, "wallet_registered", f"proof_{proof}")
    work.publish(
        EVENTS,
        str(customer_id),
        WalletRegistered(
            customer_id=customer_id, wallet_id=wallet_id, address=command.address,
            deposit_reference=reference, proof_of_control=proof,
        ),
    )  # fmt: skip
    log.info(
        "wallet registered", customer_id=str(customer_id), wallet_id=str(wallet_id), proof=proof
    )
    return None


async def _refuse(work: KycWork, command: RegisterWallet, reason: str) -> None:
    await _history(work, command, "wallet_refused", reason)
    log.warning(
        "wallet registration refused",
        customer_id=str(command.customer_id),
        wallet_id=str(command.wallet_id),
        reason=reason,
    )


async def _history(work: KycWork, command: RegisterWallet, action: str, reason: str) -> None:
    await work.history.record(
        HistoryEntry(
            action, "onboarding", customer_id=command.customer_id, wallet_id=command.wallet_id,
            reason=reason, cause_id=work.message_id,
        )
    )  # fmt: skip
