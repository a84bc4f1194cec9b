"""The reconciliation loop (a background task of every replica; row locks keep replicas
from applying anything twice):

0. deposits suspended because issuance refused to mint for a reason that may pass (it had
   not yet caught up with KYC's events) are retried, a bounded number of times;
1. notices that arrived before their payout was committed are applied now;
2. a statement debit naming a payout still open (sent, or unknown after a timeout) settles
   it: the bank did execute it, whatever it failed to tell us;
3. a payout with an unknown outcome that no statement shows, once a complete statement
   starting `grace` after its submission has arrived, was never executed: it fails
   (reason not_executed), and its ordered booking is reversed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.runtime.db import Pool
from services.runtime.logging import get_logger
from services.runtime.periodic import every
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.adapters.bank.port import BankRail
from services.settlement.repository.deposits import retryable_deposits
from services.settlement.repository.statements import (
    match_statement_line,
    pending_notices,
    statement_debits_for_open_payouts,
    unknown_payouts_absent_from_statements,
)
from services.settlement.repository.work import SweepWork
from services.settlement.settings import SettlementSettings
from services.settlement.use_cases import deposits, notices, payouts
from services.settlement.use_cases.work import Terms

if TYPE_CHECKING:
    from services.runtime.service import BackgroundTask, Service

log = get_logger(__name__)
ACTOR = "settlement:reconciliation"
PASSING_REFUSALS = (
    "unmatched_reference",  # a safety net: the wallet's registration normally re-matches it
    "unknown_wallet",
    "customer_not_verified",
    "wallet_not_theirs",
    "reserve_shortfall",  # issuance had not yet seen every credit of the reserve
    "unknown_deposit",  # issuance read the mint before the deposit's fact (another topic)
)
"""Suspensions that say "not yet" as often as "no": the other services' views lag."""


def task(bank: BankRail, terms: Terms) -> BackgroundTask:
    async def reconciliation(service: Service) -> None:
        settings = service.settings
        assert isinstance(settings, SettlementSettings)

        async def round_() -> None:
            await reconcile_once(service.pool, settings, bank, terms)

        await every(settings.settlement_reconcile_interval_s, round_, settings, "reconciliation")

    return reconciliation


async def reconcile_once(
    pool: Pool, settings: SettlementSettings, bank: BankRail, terms: Terms
) -> dict[str, int]:
    """Each step in a transaction of its own: what is due is read by the reconciliation's
    queries, and changed by the use cases on a SweepWork of that transaction."""
    counts = {"mints_retried": 0, "notices": 0, "settled": 0, "failed": 0}
    async with UnitOfWork(pool) as uow:
        work = SweepWork(uow, terms, settings, bank, ACTOR)
        for deposit in await retryable_deposits(
            uow.connection, list(PASSING_REFUSALS), settings.settlement_mint_retries,
            settings.settlement_mint_retry_delay_s,
        ):  # fmt: skip
            counts["mints_retried"] += await deposits.retry(work, deposit)
        await uow.commit()
    async with UnitOfWork(pool) as uow:
        work = SweepWork(uow, terms, settings, bank, ACTOR)
        pending = [
            (row["message_id"], notices.parse(row["kind"], row["body"]))
            for row in await pending_notices(uow.connection)
        ]
        # the payouts in the order every batch takes them (no deadlock with the consumers)
        await work.payouts.lock_by_id(notice.end_to_end_id for _, notice in pending)
        for message_id, notice in pending:
            if await notices.apply(work, message_id, notice):
                counts["notices"] += 1
        await uow.commit()
    async with UnitOfWork(pool) as uow:
        work = SweepWork(uow, terms, settings, bank, ACTOR)
        debits = await statement_debits_for_open_payouts(uow.connection)
        grace = dt.timedelta(seconds=settings.settlement_unknown_grace_s)
        silent = await unknown_payouts_absent_from_statements(uow.connection, grace)
        await work.payouts.lock_by_id([line["payout_id"] for line in debits] + list(silent))
        for line in debits:
            payout = await work.payouts.locked(line["payout_id"])
            if payout is None:
                continue
            outcome = await payouts.settle(
                work, payout, line["booked_at"], line["bank_reference"], "bank_statement"
            )
            await match_statement_line(
                uow.connection,
                line["statement_id"],
                line["page"],
                line["line_no"],
                payout.payout_id,
            )
            counts["settled"] += outcome == "apply"
        for payout_id in silent:
            payout = await work.payouts.locked(payout_id)
            if payout is None or payout.state != "unknown":
                continue
            outcome = await payouts.fail(
                work,
                payout,
                "not_executed",
                "no bank statement shows the payment after the grace period",
                "bank_statement",
            )
            counts["failed"] += outcome == "apply"
        await uow.commit()
    if any(counts.values()):
        log.info("reconciled", **counts)
    return counts
