"""KYC's entrypoints: applications, wallet and bank account registrations
(kyc.applications), eligibility checks and reservation releases (kyc.commands), the bank's
answers to account checks (kyc.replies). Each message type maps to its use case
(use_cases/) on the SQL work (repository/work.py); a batch's `prepare` takes its locks in
one order."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from schemas import Envelope, Rejected
from schemas.kyc import (
    CheckEligibility,
    CorporateApplication,
    IndividualApplication,
    RegisterBankAccount,
    RegisterWallet,
    ReleaseReservation,
)
from schemas.settlement import BankAccountChecked
from services.kyc.repository.eligibility import Locked
from services.kyc.repository.sanctions import Prepared, SanctionsLists
from services.kyc.repository.work import SqlWork
from services.kyc.use_cases.bank_accounts import (
    REPLIES,
    account_check_rejected,
    bank_account_checked,
    register_bank_account,
)
from services.kyc.use_cases.eligibility import check_eligibility, release_reservation
from services.kyc.use_cases.onboarding import onboard
from services.kyc.use_cases.wallets import register_wallet
from services.kyc.use_cases.work import Terms
from services.runtime.handlers import Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import handler


def build_subscriptions(terms: Terms, prepared: Prepared | None = None) -> list[Subscription]:
    """`prepared`: the process's screener, shared by every batch."""
    work = functools.partial(SqlWork, terms=terms, prepared=prepared or Prepared())
    applications = Subscription("kyc.applications")
    applications.handles(IndividualApplication)(handler(onboard, work))
    applications.handles(CorporateApplication)(handler(onboard, work))
    applications.handles(RegisterWallet)(handler(register_wallet, work))
    applications.handles(RegisterBankAccount)(handler(register_bank_account, work))
    applications.prepare = screen_with_settled_lists
    commands = Subscription("kyc.commands")
    commands.handles(CheckEligibility)(handler(check_eligibility, work))
    commands.handles(ReleaseReservation)(handler(release_reservation, work))
    commands.prepare = lock_in_order
    replies = Subscription(REPLIES)
    replies.handles(BankAccountChecked)(handler(bank_account_checked, work))
    replies.handles(Rejected)(handler(account_check_rejected, work))
    return [applications, commands, replies]


async def screen_with_settled_lists(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
    # Before any row lock: a list change (which holds the lock exclusively) waits for
    # the applications in flight, and they wait for it, so none is decided against a
    # list a load has just replaced and missed by its re-screening.
    if any(isinstance(m.payload, (IndividualApplication, CorporateApplication)) for m in batch):
        await SanctionsLists(uow.connection).share_lock()


async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
    # customers, then checks: two replicas' batches never wait on each other in a cycle
    locked = uow.staged(Locked)
    checks = [m.payload for m in batch if isinstance(m.payload, CheckEligibility)]
    if checks:
        await locked.customers.load(c.customer_id for c in checks)
    decided = [
        m.payload.redemption_id
        for m in batch
        if isinstance(m.payload, (CheckEligibility, ReleaseReservation))
    ]
    if decided:
        await locked.checks.load(decided)
