"""The saga's commands on a redemption's hold: place it, release it, burn what it holds."""

from __future__ import annotations

import uuid

from schemas.issuance import (
    Burned,
    BurnHeld,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
from services.issuance.domain.holds import (
    Hold,
    HoldState,
    decide_burn,
    decide_place,
    decide_release,
    hold_refusal,
)
from services.issuance.domain.ledger import (
    burn_id,
    burn_movement,
    hold_id,
    hold_movement,
    release_movement,
    tokens,
    wallet_account,
)
from services.issuance.domain.outcomes import Cancel, Refusal, Replay
from services.issuance.domain.records import BurnRow
from services.issuance.use_cases.journal import EVENTS, decided, post
from services.issuance.use_cases.work import IssuanceWork


async def place_hold(work: IssuanceWork, cmd: PlaceHold) -> HoldPlaced | HoldRejected:
    reply = await _place_hold(work, cmd)
    decided(work, cmd, reply, wallet_id=cmd.wallet_id, redemption_id=cmd.redemption_id)
    return reply


async def release_hold(work: IssuanceWork, cmd: ReleaseHold) -> HoldReleased | ReleaseRejected:
    reply = await _release_hold(work, cmd)
    wallet_id = reply.wallet_id if isinstance(reply, HoldReleased) else None
    decided(work, cmd, reply, wallet_id=wallet_id, redemption_id=cmd.redemption_id)
    return reply


async def burn_held(work: IssuanceWork, cmd: BurnHeld) -> Burned | BurnRejected:
    reply = await _burn_held(work, cmd)
    wallet_id = reply.wallet_id if isinstance(reply, Burned) else None
    decided(work, cmd, reply, wallet_id=wallet_id, redemption_id=cmd.redemption_id)
    return reply


async def _place_hold(work: IssuanceWork, cmd: PlaceHold) -> HoldPlaced | HoldRejected:
    amount = cmd.amount.amount_minor
    # The wallet first: concurrent holds on one wallet queue here, then see each other's.
    balance = await work.balances.of(wallet_account(cmd.wallet_id))
    existing = await work.holds.of(cmd.redemption_id)
    decision = decide_place(existing, cmd.wallet_id, amount)
    if isinstance(decision, Refusal):
        return HoldRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Replay):
        return _hold_placed(cmd, amount)
    wallet, customer = await work.owners.of(cmd.wallet_id)
    refusal = hold_refusal(wallet, customer, balance, amount)
    if refusal is not None:
        return HoldRejected(
            redemption_id=cmd.redemption_id, reason=refusal.reason, detail=refusal.detail
        )
    await work.holds.open(cmd.redemption_id, cmd.wallet_id, amount, work.message_id)
    await post(work, hold_movement(cmd.redemption_id, cmd.wallet_id, amount))
    reply = _hold_placed(cmd, amount)
    work.publish(EVENTS, str(cmd.wallet_id), reply)
    return reply


async def _release_hold(work: IssuanceWork, cmd: ReleaseHold) -> HoldReleased | ReleaseRejected:
    existing = await work.holds.of(cmd.redemption_id)
    decision = decide_release(existing)
    if isinstance(decision, Refusal):
        return ReleaseRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Cancel):
        await work.holds.cancel(cmd.redemption_id, work.message_id)
        return HoldReleased(
            redemption_id=cmd.redemption_id, hold_id=None, wallet_id=None, amount=None
        )
    reply = HoldReleased(
        redemption_id=cmd.redemption_id,
        hold_id=existing.hold_id if existing else None,
        wallet_id=existing.wallet_id if existing else None,
        amount=tokens(existing.amount) if existing and existing.amount is not None else None,
    )
    if isinstance(decision, Replay):  # released (or cancelled) before: the same answer
        return reply
    wallet_id, amount = _held(existing)
    await work.balances.lock([wallet_account(wallet_id)])
    await post(work, release_movement(cmd.redemption_id, wallet_id, amount))
    await work.holds.close(cmd.redemption_id, HoldState.RELEASED, work.message_id)
    work.publish(EVENTS, str(wallet_id), reply)
    return reply


async def _burn_held(work: IssuanceWork, cmd: BurnHeld) -> Burned | BurnRejected:
    existing = await work.holds.of(cmd.redemption_id)
    decision = decide_burn(existing)
    if isinstance(decision, Refusal):
        return BurnRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Replay):
        done = await work.burns.of_redemption(cmd.redemption_id)
        assert done is not None, "a burned hold has its burn"
        return _burned(done)
    wallet_id, amount = _held(existing)
    minted, burned = await work.balances.issuer()
    burn = BurnRow(
        burn_id(cmd.redemption_id), cmd.redemption_id, wallet_id, amount,
        minted - burned - amount,
    )  # fmt: skip
    await work.holds.burn(burn, work.message_id)
    await post(work, burn_movement(cmd.redemption_id, wallet_id, amount))
    reply = _burned(burn)
    work.publish(EVENTS, str(wallet_id), reply)
    return reply


def _held(hold: Hold | None) -> tuple[uuid.UUID, int]:
    """The wallet and amount of a hold that was placed (a cancellation holds nothing)."""
    if hold is None or hold.wallet_id is None or hold.amount is None:
        raise RuntimeError("expected a placed hold")
    return hold.wallet_id, hold.amount


def _hold_placed(cmd: PlaceHold, amount: int) -> HoldPlaced:
    return HoldPlaced(
        redemption_id=cmd.redemption_id,
        hold_id=hold_id(cmd.redemption_id),
        wallet_id=cmd.wallet_id,
        amount=tokens(amount),
    )


def _burned(burn: BurnRow) -> Burned:
    return Burned(
        redemption_id=burn.redemption_id,
        burn_id=burn.burn_id,
        wallet_id=burn.wallet_id,
        amount=tokens(burn.amount),
        supply_after=tokens(burn.supply_after),
    )
