"""MintForDeposit: one mint per deposit settlement told of, never beyond the reserve."""

from __future__ import annotations

from schemas.issuance import Minted, MintForDeposit, MintRejected
from services.issuance.domain.ledger import mint_id, mint_movement, tokens, wallet_account
from services.issuance.domain.mints import deposit_refusal, mint_refusal, reserve_refusal
from services.issuance.domain.outcomes import Refusal
from services.issuance.domain.records import MintRow
from services.issuance.use_cases.journal import EVENTS, decided, post
from services.issuance.use_cases.work import IssuanceWork


async def mint_for_deposit(work: IssuanceWork, cmd: MintForDeposit) -> Minted | MintRejected:
    reply = await _mint(work, cmd)
    decided(work, cmd, reply, wallet_id=cmd.wallet_id, deposit_id=cmd.deposit_id)
    return reply


async def _mint(work: IssuanceWork, cmd: MintForDeposit) -> Minted | MintRejected:
    done = await work.mints.of(cmd.deposit_id)
    if done is not None:  # one mint per deposit: a second command gets the original outcome
        return _minted(done)
    amount = cmd.amount.amount_minor
    # the command's own figures name what to mint; only settlement's facts make it possible
    deposit = await work.deposits.of(cmd.deposit_id)
    wallet, customer = await work.owners.of(cmd.wallet_id)
    refusal = deposit_refusal(cmd.customer_id, cmd.wallet_id, amount, deposit) or mint_refusal(
        cmd.customer_id, wallet, customer
    )
    if refusal is None and await work.balances.of(wallet_account(cmd.wallet_id)) is None:
        refusal = Refusal("unknown_wallet", "no ledger account for this wallet")
    if refusal is not None:
        return MintRejected(deposit_id=cmd.deposit_id, reason=refusal.reason, detail=refusal.detail)
    minted, burned = await work.balances.issuer()
    reserve = await work.reserve.balance()
    refusal = reserve_refusal(minted - burned, amount, reserve)
    if refusal is not None:
        return MintRejected(deposit_id=cmd.deposit_id, reason=refusal.reason, detail=refusal.detail)
    mint = MintRow(
        mint_id(cmd.deposit_id), cmd.deposit_id, cmd.customer_id, cmd.wallet_id, amount,
        minted - burned + amount,
    )  # fmt: skip
    work.mints.record(mint, reserve, work.message_id)
    await post(work, mint_movement(cmd.deposit_id, cmd.wallet_id, amount))
    reply = _minted(mint)
    work.publish(EVENTS, str(cmd.wallet_id), reply)
    return reply


def _minted(mint: MintRow) -> Minted:
    return Minted(
        deposit_id=mint.deposit_id,
        mint_id=mint.mint_id,
        customer_id=mint.customer_id,
        wallet_id=mint.wallet_id,
        amount=tokens(mint.amount),
        supply_after=tokens(mint.supply_after),
    )
