"""Payouts the bank gave no answer for (a timeout, a 5xx, a connection lost): a background
task of every replica asks the bank about each once it is `CNH_SETTLEMENT_BANK_STATUS_AFTER_S`
old, and does what domain/payouts.py `resolve_unanswered` says: submit it again under the
same idempotency key (the bank never booked it), fail it (the bank rejected it), or leave it
to its notice and the statement. The row lock and the state check keep two replicas from
failing one payout twice; a second submission is harmless (the bank dedupes by key).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.runtime.db import Pool
from services.runtime.logging import get_logger
from services.runtime.periodic import every
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.adapters.bank.port import BankRail, Refused, SubmitResult
from services.settlement.domain.payouts import resolve_unanswered
from services.settlement.repository.accounts import Accounts
from services.settlement.repository.payouts import Payout, unanswered
from services.settlement.repository.work import SweepWork
from services.settlement.settings import SettlementSettings
from services.settlement.use_cases import payouts
from services.settlement.use_cases.work import Terms

if TYPE_CHECKING:
    from services.runtime.service import BackgroundTask, Service

log = get_logger(__name__)
ACTOR = "settlement:unanswered"


def task(bank: BankRail, terms: Terms) -> BackgroundTask:
    async def unanswered_payouts(service: Service) -> None:
        settings = service.settings
        assert isinstance(settings, SettlementSettings)

        async def round_() -> None:
            await resolve_once(service.pool, settings, bank, terms)

        interval = settings.settlement_bank_status_interval_s
        await every(interval, round_, settings, "unanswered payouts")

    return unanswered_payouts


async def resolve_once(
    pool: Pool, settings: SettlementSettings, bank: BankRail, terms: Terms
) -> dict[str, int]:
    counts = {"resubmitted": 0, "failed": 0}
    grace = dt.timedelta(seconds=settings.settlement_unknown_grace_s)
    async with pool.acquire() as connection:
        waiting = await unanswered(
            connection, dt.timedelta(seconds=settings.settlement_bank_status_after_s)
        )
    for payout in waiting:
        found = await bank.status(payout.payout_id)
        age = dt.datetime.now(dt.UTC) - payout.submitted_at
        resolution = resolve_unanswered(payout.kind, found.state if found else None, age, grace)
        why = (found.reason or "rejected", "the bank rejected the order") if found else None
        if resolution == "resubmit":
            answer = await _submit_again(pool, bank, terms, payout)
            counts["resubmitted"] += 1
            if isinstance(answer, Refused):
                resolution, why = "fail", (answer.reason, answer.detail)
        if resolution == "fail" and why is not None:
            counts["failed"] += await _fail(pool, settings, bank, terms, payout, *why)
    if any(counts.values()):
        log.info("unanswered payouts", **counts)
    return counts


async def _submit_again(
    pool: Pool, bank: BankRail, terms: Terms, payout: Payout
) -> SubmitResult | None:
    async with pool.acquire() as connection:
        order = await payouts.order_again(Accounts(connection), terms.keys, payout)
    return await bank.submit(order) if order is not None else None


async def _fail(
    pool: Pool, settings: SettlementSettings, bank: BankRail, terms: Terms, payout: Payout,
    reason: str, detail: str,
) -> int:  # fmt: skip
    async with UnitOfWork(pool) as uow:
        work = SweepWork(uow, terms, settings, bank, ACTOR)
        locked = await work.payouts.locked(payout.payout_id)
        if locked is None or locked.state != "unknown":
            return 0  # its notice or another replica was first
        outcome = await payouts.fail(work, locked, reason, detail, "bank_status")
        await uow.commit()
    return int(outcome == "apply")
