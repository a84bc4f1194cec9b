"""Settlement's subscriptions: each message type mapped to its use case, and each batch's
preparation (its locks taken in one order, its new payment orders in one submission).

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

import functools
from collections.abc import Callable, Sequence
from typing import Any

from schemas import Envelope, Rejected
from schemas.issuance import Burned, Minted, MintRejected
from schemas.kyc import BankAccountRefused, BankAccountVerified, WalletRegistered
from schemas.sealed import OpeningKeys
from schemas.settlement import (
    BankStatement,
    CheckBankAccount,
    DepositReceived,
    PayoutRejectedNotice,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    QueryPayout,
    ReleaseReserve,
    SendPayout,
)
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import handler
from services.settlement.adapters.bank.port import BankAnswers, BankRail
from services.settlement.repository.accounts import Accounts
from services.settlement.repository.deposits import Deposits
from services.settlement.repository.payouts import PayoutBook
from services.settlement.repository.supply import Releases
from services.settlement.repository.wallets import References
from services.settlement.repository.work import SqlWork
from services.settlement.use_cases import accounts, deposits, notices, payouts, reserve, supply
from services.settlement.use_cases.wallets import wallet_registered
from services.settlement.use_cases.work import Terms

Works = Callable[[HandlerContext[Any]], SqlWork]
NOTICES = (PayoutSettledNotice, PayoutRejectedNotice, PayoutReturnedNotice)


def build_subscriptions(bank: BankRail, terms: Terms) -> list[Subscription]:
    keys = terms.keys
    work: Works = functools.partial(SqlWork, terms=terms, rail=bank)
    return [
        _bank_notifications(keys, work),
        _commands(bank, keys, work),
        _account_checks(work),
        _replies(work),
        _kyc_events(work),
        _supply(work),
    ]


def _bank_notifications(keys: OpeningKeys, work: Works) -> Subscription:
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
    bank.handles(DepositReceived)(handler(deposits.deposit_received, work))
    for notice_type in NOTICES:
        bank.handles(notice_type)(handler(notices.payout_notice, work))
    bank.handles(BankStatement)(handler(notices.bank_statement, work))
    return bank


def _commands(rail: BankRail, keys: OpeningKeys, work: Works) -> Subscription:
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
    commands.handles(SendPayout)(handler(payouts.send_payout, work))
    commands.handles(QueryPayout)(handler(payouts.query_payout, work))
    commands.handles(ReleaseReserve)(handler(reserve.release_reserve, work))
    return commands


def _account_checks(work: Works) -> Subscription:
    checks = Subscription("settlement.account-checks")
    checks.handles(CheckBankAccount)(handler(accounts.check_bank_account, work))
    return checks


def _replies(work: Works) -> Subscription:
    replies = Subscription("settlement.replies")

    async def lock_deposits(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # a Rejected mint command names its deposit by correlation id
        await uow.staged(Deposits).lock_all(
            m.payload.deposit_id if isinstance(m.payload, (Minted, MintRejected))
            else m.correlation_id
            for m in batch
        )  # fmt: skip

    replies.prepare = lock_deposits
    replies.handles(Minted)(handler(deposits.minted, work))
    replies.handles(MintRejected)(handler(deposits.mint_rejected, work))
    replies.handles(Rejected)(handler(deposits.mint_command_rejected, work))
    return replies


def _kyc_events(work: Works) -> Subscription:
    kyc = Subscription("kyc.events")

    async def lock_references(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        registered = [m.payload for m in batch if isinstance(m.payload, WalletRegistered)]
        if registered:
            await uow.staged(References).lock(e.deposit_reference for e in registered)

    kyc.prepare = lock_references
    kyc.handles(WalletRegistered)(handler(wallet_registered, work))
    kyc.handles(BankAccountVerified)(handler(accounts.bank_account_verified, work))
    kyc.handles(BankAccountRefused)(handler(accounts.bank_account_refused, work))
    kyc.ignore_the_rest()
    return kyc


def _supply(work: Works) -> Subscription:
    issuance = Subscription("issuance.events")
    issuance.handles(Minted)(handler(supply.tokens_minted, work))
    issuance.handles(Burned)(handler(supply.tokens_burned, work))
    issuance.ignore_the_rest()
    return issuance
