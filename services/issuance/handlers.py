"""Issuance's entrypoints: the token commands (issuance.commands), the KYC facts its
local view of customers and wallets is built from (kyc.events), and the settlement facts
its own view of deposits and of the reserve is built from (settlement.events). Each
handler reads, asks the domain, writes; the runtime applies a whole batch in one
transaction and replays stored replies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from schemas import Envelope, Message
from schemas.issuance import (
    Burned,
    BurnHeld,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    Minted,
    MintForDeposit,
    MintRejected,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
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
from schemas.settlement import DepositMatched, DepositRefunded, ReserveMoved
from services.issuance import repository as repo
from services.issuance.domain.holds import (
    Hold,
    HoldState,
    decide_burn,
    decide_place,
    decide_release,
    hold_refusal,
)
from services.issuance.domain.ledger import (
    Movement,
    burn_id,
    burn_movement,
    hold_id,
    hold_movement,
    mint_id,
    mint_movement,
    release_movement,
    tokens,
    wallet_account,
)
from services.issuance.domain.mints import deposit_refusal, mint_refusal, reserve_refusal
from services.issuance.domain.outcomes import Cancel, Refusal, Replay
from services.issuance.domain.views import DepositView
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.unit_of_work import UnitOfWork

EVENTS = "issuance.events"


def subscriptions(instance: str, deposit_wait_s: float = 0.5) -> list[Subscription]:
    """The four topics issuance consumes: the saga's commands and settlement's mint
    commands apart (each topic has one writer, so the saga cannot mint and settlement
    cannot hold, release or burn), KYC's facts and settlement's. `instance` names this
    replica in the decision log; a mint batch waits up to `deposit_wait_s` for the facts of
    its deposits."""
    return [
        _commands("issuance.commands", _HOLD_COMMANDS, instance, deposit_wait_s),
        _commands("issuance.mints", (MintForDeposit,), instance, deposit_wait_s),
        _kyc_view(),
        _settlement_view(),
    ]


def _commands(
    topic: str, kinds: Sequence[type[Message]], instance: str, deposit_wait_s: float
) -> Subscription:
    """The commands of `kinds` on `topic`; any other type there is dead-lettered (with a
    rejection to its sender) as a type this topic does not carry."""
    commands = Subscription(topic)

    async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # Mints (one key, one partition) and holds (keyed by wallet) of one wallet may be
        # applied by two replicas at once: every batch takes the issuer's totals first, then
        # the reserve, then its wallets in account order, so no two batches wait on each
        # other in a cycle (the facts' batches take the reserve alone).
        payloads = [m.payload for m in batch]
        deposits = [p.deposit_id for p in payloads if isinstance(p, MintForDeposit)]
        if deposits:
            # a deposit's fact and its mint are sent together on two topics: give the fact
            # a moment, before any lock, rather than refuse a mint settlement must retry
            known = uow.staged(repo.Deposits)
            await known.wait_for(deposits, deposit_wait_s)
            await known.rows.load(deposits)
        balances = uow.staged(repo.Balances)
        if any(isinstance(p, (MintForDeposit, BurnHeld)) for p in payloads):
            await balances.issuer()
        if deposits:
            # read after the issuer's lock, which every mint takes: a rival's mint of the
            # same deposit is committed by then and seen, never a supply that counts it
            # beside a list of mints that does not
            await uow.staged(repo.Mints).rows.load(deposits)
            await uow.staged(repo.Reserve).balance()
        wallets = [p.wallet_id for p in payloads if isinstance(p, (MintForDeposit, PlaceHold))]
        if wallets:
            await balances.lock(wallet_account(w) for w in wallets)
            await uow.staged(repo.Owners).rows.load(wallets)
        held = [p.redemption_id for p in payloads if isinstance(p, _HOLD_COMMANDS)]
        if held:
            await uow.staged(repo.Holds).locked.load(held)

    commands.prepare = lock_in_order

    def decided(ctx: HandlerContext[Any], reply: Message, **links: Any) -> None:
        ctx.staged(repo.Decisions).record(
            repo.Decision(
                ctx.message.message_id,
                ctx.message.type,
                reply.TYPE,
                getattr(reply, "reason", None),
                getattr(reply, "detail", None),
                **links,
            ),
            instance,
        )

    async def mint_for_deposit(
        ctx: HandlerContext[MintForDeposit], cmd: MintForDeposit
    ) -> Minted | MintRejected:
        reply = await _mint(ctx, cmd)
        decided(ctx, reply, wallet_id=cmd.wallet_id, deposit_id=cmd.deposit_id)
        return reply

    async def place_hold(
        ctx: HandlerContext[PlaceHold], cmd: PlaceHold
    ) -> HoldPlaced | HoldRejected:
        reply = await _place_hold(ctx, cmd)
        decided(ctx, reply, wallet_id=cmd.wallet_id, redemption_id=cmd.redemption_id)
        return reply

    async def release_hold(
        ctx: HandlerContext[ReleaseHold], cmd: ReleaseHold
    ) -> HoldReleased | ReleaseRejected:
        reply = await _release_hold(ctx, cmd)
        wallet_id = reply.wallet_id if isinstance(reply, HoldReleased) else None
        decided(ctx, reply, wallet_id=wallet_id, redemption_id=cmd.redemption_id)
        return reply

    async def burn_held(ctx: HandlerContext[BurnHeld], cmd: BurnHeld) -> Burned | BurnRejected:
        reply = await _burn_held(ctx, cmd)
        wallet_id = reply.wallet_id if isinstance(reply, Burned) else None
        decided(ctx, reply, wallet_id=wallet_id, redemption_id=cmd.redemption_id)
        return reply

    verbs: dict[type[Message], Any] = {
        MintForDeposit: mint_for_deposit,
        PlaceHold: place_hold,
        ReleaseHold: release_hold,
        BurnHeld: burn_held,
    }
    for kind in kinds:
        commands.handles(kind)(verbs[kind])
    return commands


_HOLD_COMMANDS = (PlaceHold, ReleaseHold, BurnHeld)


# --- the verbs --------------------------------------------------------------------------


async def _mint(ctx: HandlerContext[Any], cmd: MintForDeposit) -> Minted | MintRejected:
    mints = ctx.staged(repo.Mints)
    done = await mints.rows.get(cmd.deposit_id)
    if done is not None:  # one mint per deposit: a second command gets the original outcome
        return _minted(done)
    amount = cmd.amount.amount_minor
    # the command's own figures name what to mint; only settlement's facts make it possible
    deposit = await ctx.staged(repo.Deposits).rows.get(cmd.deposit_id)
    wallet, customer = await ctx.staged(repo.Owners).of(cmd.wallet_id)
    refusal = deposit_refusal(cmd.customer_id, cmd.wallet_id, amount, deposit) or mint_refusal(
        cmd.customer_id, wallet, customer
    )
    balances = ctx.staged(repo.Balances)
    if refusal is None and await balances.of(wallet_account(cmd.wallet_id)) is None:
        refusal = Refusal("unknown_wallet", "no ledger account for this wallet")
    if refusal is not None:
        return MintRejected(deposit_id=cmd.deposit_id, reason=refusal.reason, detail=refusal.detail)
    minted, burned = await balances.issuer()
    reserve = await ctx.staged(repo.Reserve).balance()
    refusal = reserve_refusal(minted - burned, amount, reserve)
    if refusal is not None:
        return MintRejected(deposit_id=cmd.deposit_id, reason=refusal.reason, detail=refusal.detail)
    mint = repo.MintRow(
        mint_id(cmd.deposit_id), cmd.deposit_id, cmd.customer_id, cmd.wallet_id, amount,
        minted - burned + amount,
    )  # fmt: skip
    mints.record(mint, reserve, ctx.message.message_id)
    await _post(ctx, mint_movement(cmd.deposit_id, cmd.wallet_id, amount))
    reply = _minted(mint)
    ctx.publish(EVENTS, str(cmd.wallet_id), reply)
    return reply


async def _place_hold(ctx: HandlerContext[Any], cmd: PlaceHold) -> HoldPlaced | HoldRejected:
    amount = cmd.amount.amount_minor
    # The wallet first: concurrent holds on one wallet queue here, then see each other's.
    balance = await ctx.staged(repo.Balances).of(wallet_account(cmd.wallet_id))
    holds = ctx.staged(repo.Holds)
    existing = await holds.locked.get(cmd.redemption_id)
    decision = decide_place(existing, cmd.wallet_id, amount)
    if isinstance(decision, Refusal):
        return HoldRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Replay):
        return _hold_placed(cmd, amount)
    wallet, customer = await ctx.staged(repo.Owners).of(cmd.wallet_id)
    refusal = hold_refusal(wallet, customer, balance, amount)
    if refusal is not None:
        return HoldRejected(
            redemption_id=cmd.redemption_id, reason=refusal.reason, detail=refusal.detail
        )
    await holds.open(cmd.redemption_id, cmd.wallet_id, amount, ctx.message.message_id)
    await _post(ctx, hold_movement(cmd.redemption_id, cmd.wallet_id, amount))
    reply = _hold_placed(cmd, amount)
    ctx.publish(EVENTS, str(cmd.wallet_id), reply)
    return reply


async def _release_hold(
    ctx: HandlerContext[Any], cmd: ReleaseHold
) -> HoldReleased | ReleaseRejected:
    holds = ctx.staged(repo.Holds)
    existing = await holds.locked.get(cmd.redemption_id)
    decision = decide_release(existing)
    if isinstance(decision, Refusal):
        return ReleaseRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Cancel):
        await holds.cancel(cmd.redemption_id, ctx.message.message_id)
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
    await ctx.staged(repo.Balances).lock([wallet_account(wallet_id)])
    await _post(ctx, release_movement(cmd.redemption_id, wallet_id, amount))
    await holds.close(cmd.redemption_id, HoldState.RELEASED, ctx.message.message_id)
    ctx.publish(EVENTS, str(wallet_id), reply)
    return reply


async def _burn_held(ctx: HandlerContext[Any], cmd: BurnHeld) -> Burned | BurnRejected:
    conn = ctx.connection
    holds = ctx.staged(repo.Holds)
    existing = await holds.locked.get(cmd.redemption_id)
    decision = decide_burn(existing)
    if isinstance(decision, Refusal):
        return BurnRejected(
            redemption_id=cmd.redemption_id, reason=decision.reason, detail=decision.detail
        )
    if isinstance(decision, Replay):
        done = await repo.burn_of_redemption(conn, cmd.redemption_id)
        assert done is not None, "a burned hold has its burn"
        return _burned(done)
    wallet_id, amount = _held(existing)
    minted, burned = await ctx.staged(repo.Balances).issuer()
    burn = repo.BurnRow(
        burn_id(cmd.redemption_id), cmd.redemption_id, wallet_id, amount,
        minted - burned - amount,
    )  # fmt: skip
    await holds.burn(burn, ctx.message.message_id)
    await _post(ctx, burn_movement(cmd.redemption_id, wallet_id, amount))
    reply = _burned(burn)
    ctx.publish(EVENTS, str(wallet_id), reply)
    return reply


def _held(hold: Hold | None) -> tuple[uuid.UUID, int]:
    """The wallet and amount of a hold that was placed (a cancellation holds nothing)."""
    if hold is None or hold.wallet_id is None or hold.amount is None:
        raise RuntimeError("expected a placed hold")
    return hold.wallet_id, hold.amount


async def _post(ctx: HandlerContext[Any], movement: Movement) -> None:
    await repo.post(ctx.connection, movement, ctx.message.message_id, ctx.message.correlation_id)
    ctx.staged(repo.Balances).moved(movement)


def _minted(mint: repo.MintRow) -> Minted:
    return Minted(
        deposit_id=mint.deposit_id,
        mint_id=mint.mint_id,
        customer_id=mint.customer_id,
        wallet_id=mint.wallet_id,
        amount=tokens(mint.amount),
        supply_after=tokens(mint.supply_after),
    )


def _hold_placed(cmd: PlaceHold, amount: int) -> HoldPlaced:
    return HoldPlaced(
        redemption_id=cmd.redemption_id,
        hold_id=hold_id(cmd.redemption_id),
        wallet_id=cmd.wallet_id,
        amount=tokens(amount),
    )


def _burned(burn: repo.BurnRow) -> Burned:
    return Burned(
        redemption_id=burn.redemption_id,
        burn_id=burn.burn_id,
        wallet_id=burn.wallet_id,
        amount=tokens(burn.amount),
        supply_after=tokens(burn.supply_after),
    )


# --- the local view of KYC ----------------------------------------------------------------


def _kyc_view() -> Subscription:
    events = Subscription("kyc.events")

    @events.handles(CustomerVerified)
    async def verified(ctx: HandlerContext[Any], event: CustomerVerified) -> None:
        await repo.set_customer_status(
            ctx.connection, event.customer_id, "verified", None, ctx.message.message_id
        )

    @events.handles(CustomerRejected)
    async def rejected(ctx: HandlerContext[Any], event: CustomerRejected) -> None:
        await repo.set_customer_status(
            ctx.connection, event.customer_id, "rejected", event.reason, ctx.message.message_id
        )

    @events.handles(CustomerReferred)
    async def referred(ctx: HandlerContext[Any], event: CustomerReferred) -> None:
        # under manual review (a possible sanctions hit...): no mints until verified again
        await repo.set_customer_status(
            ctx.connection, event.customer_id, "referred", event.reason, ctx.message.message_id
        )

    @events.handles(CustomerFrozen)
    async def customer_frozen(ctx: HandlerContext[Any], event: CustomerFrozen) -> None:
        await repo.set_customer_frozen(
            ctx.connection, event.customer_id, True, event.reason, ctx.message.message_id
        )

    @events.handles(CustomerUnfrozen)
    async def customer_unfrozen(ctx: HandlerContext[Any], event: CustomerUnfrozen) -> None:
        await repo.set_customer_frozen(
            ctx.connection, event.customer_id, False, None, ctx.message.message_id
        )

    @events.handles(WalletRegistered)
    async def wallet_registered(ctx: HandlerContext[Any], event: WalletRegistered) -> None:
        await repo.register_wallet(
            ctx.connection, event.wallet_id, event.customer_id, event.proof_of_control,
            ctx.message.message_id,
        )  # fmt: skip

    @events.handles(WalletFrozen)
    async def wallet_frozen(ctx: HandlerContext[Any], event: WalletFrozen) -> None:
        await repo.set_wallet_frozen(
            ctx.connection, event.wallet_id, event.customer_id, True, event.reason,
            ctx.message.message_id,
        )  # fmt: skip

    @events.handles(WalletUnfrozen)
    async def wallet_unfrozen(ctx: HandlerContext[Any], event: WalletUnfrozen) -> None:
        await repo.set_wallet_frozen(
            ctx.connection, event.wallet_id, event.customer_id, False, None,
            ctx.message.message_id,
        )  # fmt: skip

    events.ignore_the_rest()
    return events


# --- the local view of settlement's deposits and reserve ----------------------------------


def _settlement_view() -> Subscription:
    events = Subscription("settlement.events")

    @events.handles(ReserveMoved)
    async def reserve_moved(ctx: HandlerContext[Any], event: ReserveMoved) -> None:
        ctx.staged(repo.Reserve).moved(
            event.entry_id, event.direction, event.amount.amount_minor, event.cause,
            event.deposit_id, event.redemption_id, ctx.message.message_id,
        )  # fmt: skip

    @events.handles(DepositMatched)
    async def deposit_matched(ctx: HandlerContext[Any], event: DepositMatched) -> None:
        deposit = DepositView(
            event.deposit_id, event.customer_id, event.wallet_id, event.tokens.amount_minor,
            refunded=False,
        )  # fmt: skip
        ctx.staged(repo.Deposits).matched(deposit, ctx.message.message_id)

    @events.handles(DepositRefunded)
    async def deposit_refunded(ctx: HandlerContext[Any], event: DepositRefunded) -> None:
        await ctx.staged(repo.Deposits).refunded(event.deposit_id, ctx.message.message_id)

    events.ignore_the_rest()
    return events
