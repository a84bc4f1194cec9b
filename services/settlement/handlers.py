"""Settlement's subscriptions: thin translations from a message to a flow.

| topic                         | messages                                          |
|-------------------------------|---------------------------------------------------|
| settlement.bank-notifications | DepositReceived, Payout*Notice, BankStatement     |
| settlement.commands           | SendPayout, QueryPayout, ReleaseReserve           |
| settlement.account-checks     | CheckBankAccount (KYC)                            |
| settlement.replies            | Minted, MintRejected (issuance), runtime Rejected |
| kyc.events                    | WalletRegistered, BankAccountVerified/Refused     |
|                               | (the rest: no-ops)                                |
| issuance.events               | Minted, Burned (supply); HoldPlaced/Released: no-ops |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemas import Envelope, Rejected
from schemas.issuance import Burned, Minted, MintRejected
from schemas.kyc import (
    BankAccountRefused,
    BankAccountVerified,
    WalletRegistered,
)
from schemas.sealed import OpeningKeys
from schemas.settlement import (
    BankAccountChecked,
    BankStatement,
    CheckBankAccount,
    DepositReceived,
    PayoutRejectedNotice,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    PayoutStatus,
    QueryPayout,
    ReleaseReserve,
    ReserveReleased,
    SendPayout,
)
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.bank.port import AnsweredAhead, BankAnswers, BankRail
from services.settlement.repository.accounts import Accounts
from services.settlement.repository.deposits import Deposits, suspended_unmatched
from services.settlement.repository.history import record_anomaly
from services.settlement.repository.payouts import PayoutBook
from services.settlement.repository.supply import Releases, Supply, SupplyMovement
from services.settlement.repository.wallets import References, register_wallet
from services.settlement.repository.work import from_context
from services.settlement.use_cases import accounts, deposits, notices, payouts, reserve

Ctx = HandlerContext[Any]
NOTICES = (PayoutSettledNotice, PayoutRejectedNotice, PayoutReturnedNotice)


def build_subscriptions(bank: BankRail, keys: OpeningKeys) -> list[Subscription]:
    """`keys`: settlement's own, which open what is sealed to it (a deposit's payer, the bank
    accounts KYC has checked, then paid to)."""
    return [
        _bank_notifications(keys),
        _commands(bank, keys),
        _account_checks(bank, keys),
        _replies(),
        _kyc_events(),
        _supply(),
    ]


def _actor(ctx: Ctx) -> str:
    return f"{ctx.message.producer}:{ctx.message.type}"


def _bank_notifications(keys: OpeningKeys) -> Subscription:
    bank = Subscription("settlement.bank-notifications")

    async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # every lock the batch will take, taken now in one order (see PayoutBook.lock_all)
        references = [
            reference
            for m in batch
            if isinstance(m.payload, DepositReceived)
            and (reference := deposits.reference_of(keys, m.payload))
        ]
        if references:
            await uow.staged(References).read_owners(references)
        noticed = [m.payload.end_to_end_id for m in batch if isinstance(m.payload, NOTICES)]
        await uow.staged(PayoutBook).lock_by_id(noticed)

    bank.prepare = lock_in_order

    @bank.handles(DepositReceived)
    async def deposit_received(ctx: Ctx, notice: DepositReceived) -> None:
        particulars = deposits.open_particulars(keys, notice)
        await deposits.receive(from_context(ctx, _actor(ctx)), notice, particulars)

    async def payout_notice(
        ctx: Ctx, notice: PayoutSettledNotice | PayoutRejectedNotice | PayoutReturnedNotice
    ) -> None:
        await notices.receive(from_context(ctx, _actor(ctx)), ctx.message.message_id, notice)

    for notice_type in NOTICES:
        bank.handles(notice_type)(payout_notice)

    @bank.handles(BankStatement)
    async def statement(ctx: Ctx, page: BankStatement) -> None:
        await notices.statement(from_context(ctx, _actor(ctx)), page)

    return bank


def _commands(rail: BankRail, keys: OpeningKeys) -> Subscription:
    commands = Subscription("settlement.commands")

    async def prepare(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # the payouts the batch may create, locked in one query; its new orders in one bulk
        # submission (releases and queries only read a payout: no lock)
        sends = [(m.payload, m.occurred_at) for m in batch if isinstance(m.payload, SendPayout)]
        book = uow.staged(PayoutBook)
        answers = await payouts.submit_ahead(book, uow.staged(Accounts), sends, rail, keys)
        checked = [m.payload.redemption_id for m in batch if not isinstance(m.payload, SendPayout)]
        if checked:
            await book.read_all(checked)
        released = [m.payload.redemption_id for m in batch if isinstance(m.payload, ReleaseReserve)]
        if released:
            await uow.staged(Releases).made.load(released)
        uow.staged(BankAnswers).answers.update(answers)

    commands.prepare = prepare

    @commands.handles(SendPayout)
    async def send_payout(ctx: Ctx, command: SendPayout) -> payouts.PayoutReply:
        work = from_context(ctx, _actor(ctx))
        bank = AnsweredAhead(rail, ctx.staged(BankAnswers).answers)
        return await payouts.send(work, command, bank, ctx.message.occurred_at, keys)

    @commands.handles(QueryPayout)
    async def query_payout(ctx: Ctx, query: QueryPayout) -> PayoutStatus:
        payout = await from_context(ctx, _actor(ctx)).payouts.get(query.redemption_id, lock=False)
        return payouts.status(query.redemption_id, payout)

    @commands.handles(ReleaseReserve)
    async def release_reserve(ctx: Ctx, command: ReleaseReserve) -> ReserveReleased:
        return await reserve.release(from_context(ctx, _actor(ctx)), command)

    return commands


def _account_checks(bank: BankRail, keys: OpeningKeys) -> Subscription:
    checks = Subscription("settlement.account-checks")

    @checks.handles(CheckBankAccount)
    async def check(ctx: Ctx, command: CheckBankAccount) -> BankAccountChecked | Rejected:
        return await accounts.check(from_context(ctx, _actor(ctx)), command, bank, keys)

    return checks


def _replies() -> Subscription:
    replies = Subscription("settlement.replies")

    async def lock_deposits(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # a Rejected mint command names its deposit by correlation id
        await uow.staged(Deposits).locked.load(
            m.payload.deposit_id if isinstance(m.payload, (Minted, MintRejected))
            else m.correlation_id
            for m in batch
        )  # fmt: skip

    replies.prepare = lock_deposits

    @replies.handles(Minted)
    async def minted(ctx: Ctx, reply: Minted) -> None:
        await deposits.minted(from_context(ctx, _actor(ctx)), reply)

    @replies.handles(MintRejected)
    async def mint_rejected(ctx: Ctx, reply: MintRejected) -> None:
        work = from_context(ctx, _actor(ctx))
        await deposits.mint_refused(work, reply.deposit_id, reply.reason, reply.detail)

    @replies.handles(Rejected)
    async def command_rejected(ctx: Ctx, reply: Rejected) -> None:
        # issuance could not even read our MintForDeposit; its correlation id is the deposit
        work = from_context(ctx, _actor(ctx))
        await deposits.mint_refused(
            work,
            ctx.message.correlation_id,
            "mint_command_rejected",
            f"{reply.reason}: {reply.detail}",
        )

    return replies


def _kyc_events() -> Subscription:
    kyc = Subscription("kyc.events")

    async def lock_references(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        registered = [m.payload for m in batch if isinstance(m.payload, WalletRegistered)]
        if registered:
            await uow.staged(References).lock(e.deposit_reference for e in registered)

    kyc.prepare = lock_references

    @kyc.handles(WalletRegistered)
    async def wallet_registered(ctx: Ctx, event: WalletRegistered) -> None:
        references = ctx.staged(References)
        await references.lock([event.deposit_reference])
        references.forget(event.deposit_reference)
        same = await register_wallet(
            ctx.connection, event.deposit_reference, event.customer_id, event.wallet_id
        )
        if not same:
            await record_anomaly(
                ctx.connection,
                "deposit_reference_conflict",
                event.deposit_reference,
                f"wallet {event.wallet_id} registered with a reference already in use",
            )
            return
        # money that arrived before its wallet was known waits in suspense: mint it now
        work = from_context(ctx, _actor(ctx))
        for deposit in await suspended_unmatched(ctx.connection, event.deposit_reference):
            await deposits.retry(work, deposit)

    @kyc.handles(BankAccountVerified)
    async def account_verified(ctx: Ctx, event: BankAccountVerified) -> None:
        work = from_context(ctx, _actor(ctx))
        await accounts.kyc_decided(work, event.customer_id, event.account_id, "verified")

    @kyc.handles(BankAccountRefused)
    async def account_refused(ctx: Ctx, event: BankAccountRefused) -> None:
        work = from_context(ctx, _actor(ctx))
        await accounts.kyc_decided(
            work, event.customer_id, event.account_id, "refused", event.reason
        )

    kyc.ignore_the_rest()
    return kyc


def _supply() -> Subscription:
    issuance = Subscription("issuance.events")

    @issuance.handles(Minted)
    async def minted(ctx: Ctx, event: Minted) -> None:
        ctx.staged(Supply).record(
            SupplyMovement(
                event.mint_id,
                "minted",
                event.amount.amount_minor,
                event.supply_after.amount_minor,
                ctx.message.occurred_at,
                deposit_id=event.deposit_id,
            )
        )

    @issuance.handles(Burned)
    async def burned(ctx: Ctx, event: Burned) -> None:
        ctx.staged(Supply).record(
            SupplyMovement(
                event.burn_id,
                "burned",
                event.amount.amount_minor,
                event.supply_after.amount_minor,
                ctx.message.occurred_at,
                redemption_id=event.redemption_id,
            )
        )

    issuance.ignore_the_rest()
    return issuance
