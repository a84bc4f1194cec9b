"""Deposits: a bank credit of CNH is matched to a wallet by its reference, credits the
reserve, and asks issuance to mint; unmatched or unmintable deposits go to suspense until
an operator refunds them. The states and their moves: domain/deposits.py.
"""

from __future__ import annotations

import uuid

from schemas import Money, Rejected, derive_id, new_id
from schemas.issuance import Minted, MintForDeposit, MintRejected
from schemas.money import par_tokens
from schemas.sealed import OpeningKeys, SealError
from schemas.settlement import (
    DepositConfirmed,
    DepositMatched,
    DepositParticulars,
    DepositReceived,
    DepositSuspended,
    deposit_context,
)
from services.runtime.logging import get_logger
from services.settlement.domain import ledger
from services.settlement.domain.deposits import (
    Event,
    Refusal,
    arrival,
    attempt_id,
    deposit_reference_in,
    move,
    refusal,
)
from services.settlement.domain.deposits import deposit_id as deposit_id_of
from services.settlement.repository.deposits import Deposit
from services.settlement.use_cases.journal import links, post, reserve
from services.settlement.use_cases.work import SettlementWork

log = get_logger(__name__)

EVENTS = "settlement.events"


def open_particulars(keys: OpeningKeys, notice: DepositReceived) -> DepositParticulars:
    """Who paid and what they wrote, in memory only (SealError if it does not open: the
    runtime dead-letters the notice with the reason, never the value)."""
    return keys.open(notice.particulars, DepositParticulars, deposit_context(notice.bank_reference))


def reference_of(keys: OpeningKeys, notice: DepositReceived) -> str | None:
    """The deposit reference the payer wrote, or None (also when the notice does not open:
    its handler says why)."""
    try:
        return deposit_reference_in(open_particulars(keys, notice).remittance)
    except SealError:
        return None


async def deposit_received(work: SettlementWork, notice: DepositReceived) -> None:
    """Kept: the extracted reference (an id) in clear, the payer and the text only as the
    notice's sealed value, which settlement opens again to refund the payer."""
    particulars = open_particulars(work.terms.keys, notice)
    deposit_id = deposit_id_of(notice.bank_reference)
    reference = deposit_reference_in(particulars.remittance)
    refused = refusal(notice.amount, await reserve(work))
    if refused is not None:
        await _refuse(work, deposit_id, notice, reference, refused)
        return
    owner = await work.references.owner(reference) if reference else None
    state = arrival(owner is not None)
    reason = None if owner else "unmatched_reference"
    mint_id = _mint_command_id() if owner else None
    if not await _recorded(work, deposit_id, notice, reference, owner, state, reason, mint_id):
        return
    about = links(work, deposit_id=deposit_id, memo=notice.bank_reference)
    if owner is None or mint_id is None:
        post(
            work,
            derive_id(deposit_id, "received"),
            ledger.deposit_unmatched(notice.amount),
            about,
        )
        _suspended(work, deposit_id, notice.amount, notice.bank_reference, "unmatched_reference")
        return
    post(
        work,
        derive_id(deposit_id, "received"),
        ledger.deposit_matched(notice.amount),
        about,
    )
    await _ask_for_mint(work, deposit_id, owner, notice.amount, mint_id)


async def _refuse(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    notice: DepositReceived,
    reference: str | None,
    reason: Refusal,
) -> None:
    """Recorded with its reason (so a repeated notice is recognised), never booked."""
    if not await _recorded(work, deposit_id, notice, reference, None, "refused", reason):
        return
    log.warning("deposit refused", deposit_id=str(deposit_id), reason=reason)
    await work.anomalies.record(
        "deposit_refused", notice.bank_reference, f"{reason}: {notice.amount}"
    )


async def _recorded(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    notice: DepositReceived,
    reference: str | None,
    owner: tuple[uuid.UUID, uuid.UUID] | None,
    state: str,
    reason: str | None,
    mint_id: uuid.UUID | None = None,
) -> bool:
    """The deposit and its first history line; False for the same bank credit again (a
    re-sent notification: it was applied once already)."""
    fresh = await work.deposits.insert(
        deposit_id,
        notice.bank_reference,
        notice.amount,
        reference,
        notice.particulars,
        notice.value_date,
        owner,
        state,
        reason,
        mint_id,
    )
    if not fresh:
        log.info("deposit already received; no second effect", deposit_id=str(deposit_id))
        return False
    work.history.record(
        "deposit", deposit_id, None, state, work.actor, "deposit_received", reason or ""
    )
    return True


MINTS_KEY = "mints"
"""Every mint command on one key, so issuance reads them in the order they were booked.
(Issuance no longer decides on the reserve a command reports, only on the one it learned
from settlement.events; the key keeps the mints' partition as it was.)"""


async def retry(work: SettlementWork, deposit: Deposit) -> bool:
    """Out of suspense and minted after all, when what suspended it has passed: the wallet
    became known to settlement, or issuance caught up with KYC. A new mint command id: the
    refusal of the previous one stays what it was."""
    reference = deposit.deposit_reference
    owner = await work.references.wallet_for(reference) if reference else None
    to = move(deposit.state, "mint_retried")
    if owner is None or to is None:
        return False
    attempt = deposit.mint_attempts + 1
    post(
        work,
        derive_id(deposit.deposit_id, "rematched", str(attempt)),
        ledger.deposit_rematched(deposit.amount),
        links(work, deposit_id=deposit.deposit_id, memo=deposit.reason or ""),
    )
    work.history.record("deposit", deposit.deposit_id, deposit.state, to, work.actor,
        "mint_retried", f"attempt {attempt} after {deposit.reason}",
    )  # fmt: skip
    mint_id = _mint_command_id()
    await work.deposits.mint_requested(deposit.deposit_id, owner, mint_id)
    await _ask_for_mint(work, deposit.deposit_id, owner, deposit.amount, mint_id)
    return True


def _mint_command_id() -> uuid.UUID:
    """Random, not derived from the deposit: the command is written once, in the transaction
    that records it with its deposit (a retried transaction writes neither), and an id that
    anyone could compute from a deposit id could be taken first by another writer of
    issuance.commands, whose refusal issuance would then replay to settlement."""
    return new_id()


async def _ask_for_mint(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    owner: tuple[uuid.UUID, uuid.UUID],
    amount: Money,
    mint_id: uuid.UUID,
) -> None:
    """The mint command for a deposit recorded as minting under `mint_id`, after the fact
    issuance mints against (the deposit, its wallet and amount, on settlement.events)."""
    customer_id, wallet_id = owner
    reserve_after = await reserve(work)
    work.publish(
        EVENTS,
        str(deposit_id),
        DepositMatched(
            deposit_id=deposit_id,
            customer_id=customer_id,
            wallet_id=wallet_id,
            amount=amount,
            tokens=par_tokens(amount),
        ),
        message_id=derive_id(mint_id, "matched"),
        correlation_id=deposit_id,
    )
    work.publish(
        "issuance.mints",
        MINTS_KEY,
        MintForDeposit(
            deposit_id=deposit_id,
            customer_id=customer_id,
            wallet_id=wallet_id,
            amount=par_tokens(amount),
            reserve_balance=_cnh(reserve_after),
        ),
        message_id=mint_id,
        correlation_id=deposit_id,
        reply_to="settlement.replies",
    )


async def minted(work: SettlementWork, reply: Minted) -> None:
    deposit = await work.deposits.locked(reply.deposit_id)
    to = move(deposit.state, "minted") if deposit else None
    if deposit is None or to is None:
        await work.anomalies.record(
            "unexpected_mint",
            str(reply.deposit_id),
            f"Minted {reply.mint_id} for a deposit in state "
            f"{deposit.state if deposit else 'unknown'}",
        )
        return
    if reply.amount != par_tokens(deposit.amount):
        await work.anomalies.record(
            "mint_amount_mismatch",
            str(deposit.deposit_id),
            f"minted {reply.amount}, deposit {deposit.amount}",
        )
    post(
        work,
        derive_id(deposit.deposit_id, "minted"),
        ledger.mint_confirmed(deposit.amount),
        links(work, deposit_id=deposit.deposit_id, memo=str(reply.mint_id)),
    )
    work.deposits.set_state(deposit, to)
    work.history.record(
        "deposit",
        deposit.deposit_id,
        deposit.state,
        to,
        work.actor,
        "minted",
        f"mint {reply.mint_id}",
    )
    work.publish(
        EVENTS,
        str(deposit.deposit_id),
        DepositConfirmed(
            deposit_id=deposit.deposit_id,
            customer_id=reply.customer_id,
            wallet_id=reply.wallet_id,
            amount=deposit.amount,
            tokens=reply.amount,
            bank_reference=deposit.bank_reference,
        ),
        message_id=derive_id(deposit.deposit_id, "confirmed"),
        correlation_id=deposit.deposit_id,
    )


async def mint_rejected(work: SettlementWork, reply: MintRejected) -> None:
    await _mint_refused(work, reply.deposit_id, reply.reason, reply.detail)


async def mint_command_rejected(work: SettlementWork, reply: Rejected) -> None:
    """Issuance could not even read our MintForDeposit; its correlation id is the deposit."""
    await _mint_refused(
        work, work.correlation_id, "mint_command_rejected", f"{reply.reason}: {reply.detail}"
    )


async def _mint_refused(
    work: SettlementWork, deposit_id: uuid.UUID, reason: str, detail: str
) -> None:
    """Issuance would not mint (MintRejected, or the command itself was refused): the money
    stays in the reserve account, in suspense, with the reason."""
    deposit = await work.deposits.locked(deposit_id)
    to = move(deposit.state, "mint_refused") if deposit else None
    if deposit is None or to is None:
        await work.anomalies.record(
            "unexpected_mint_rejection", str(deposit_id), f"{reason}: {detail}"
        )
        return
    attempt = deposit.mint_attempts
    post(
        work,
        attempt_id(deposit_id, attempt, "mint_rejected"),
        ledger.mint_rejected(deposit.amount),
        links(work, deposit_id=deposit_id, memo=reason),
    )
    work.deposits.set_state(deposit, to, reason, detail)
    work.history.record("deposit", deposit_id, deposit.state, to, work.actor, reason, detail)
    _suspended(work, deposit_id, deposit.amount, deposit.bank_reference, reason, attempt)


async def refund_moved(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    event: Event,
    detail: str,
    reason: str | None = None,
) -> bool:
    """A refund's step for its deposit, by the state table; False (an anomaly, nothing
    changed) where the deposit's state does not allow it."""
    deposit = await work.deposits.for_update(deposit_id)
    to = move(deposit.state, event) if deposit else None
    if deposit is None or to is None:
        await work.anomalies.record(
            f"deposit_{event}_conflict",
            str(deposit_id),
            f"{event} for a deposit in state {deposit.state if deposit else 'unknown'}",
        )
        return False
    await work.deposits.change_state(deposit_id, to, reason)
    work.history.record("deposit", deposit_id, deposit.state, to, work.actor, event, detail)
    return True


def _suspended(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    amount: Money,
    bank_reference: str,
    reason: str,
    attempt: int = 0,
) -> None:
    work.publish(
        EVENTS,
        str(deposit_id),
        DepositSuspended(
            deposit_id=deposit_id, amount=amount, bank_reference=bank_reference, reason=reason
        ),
        message_id=attempt_id(deposit_id, attempt, "suspended", reason),
        correlation_id=deposit_id,
    )


def _cnh(minor: int) -> Money:
    return Money(amount_minor=minor, currency="CNH")
