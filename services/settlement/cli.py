"""Operator commands (database URL and topics from the same CNH_* settings as the service):

    python -m services.settlement.cli attest              # `make attest`: the reserve report
    python -m services.settlement.cli refund DEPOSIT_ID   # pay a suspended deposit back
    python -m services.settlement.cli coverage            # supply, reserve, ratio, one line

`attest` and `coverage` only read (read-only transactions; a read-only role suffices), from
settlement's database and, for `attest`, issuance's (`CNH_SETTLEMENT_ISSUANCE_DATABASE_URL`).
`attest` exits 1 when the backing checks (domain/backing.py) find an exception: coverage
below 100 %, or a mint, payout or reserve movement with nothing behind it; the report names
each one. The service records a report itself every `CNH_SETTLEMENT_ATTEST_RECORD_INTERVAL_S`.

Writes go through the service's own database and outbox, like a handler's: the refund's
order, journal entries and history commit together, and its events follow via the relay.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
import uuid

import asyncpg

from services.runtime.db import create_pool
from services.runtime.migrate import upgrade_async
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.__main__ import MIGRATIONS
from services.settlement.domain.attestation import coverage_ratio, render
from services.settlement.domain.backing import counts, exceptions_of, report_items
from services.settlement.repository import attestation, backing
from services.settlement.repository.work import SweepWork
from services.settlement.settings import SettlementSettings
from services.settlement.use_cases.refunds import RefundRefused, refund_deposit
from services.settlement.use_cases.work import Terms


async def _attest(settings: SettlementSettings) -> int:
    now = dt.datetime.now(dt.UTC)
    connection = await asyncpg.connect(settings.database_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            report, _ = await attestation.build(connection, now)
        facts = await backing.settlement_facts(connection)
        facts = await backing.with_issuance(
            connection, facts, await _issuance_ledger(settings.settlement_issuance_database_url)
        )
    finally:
        await connection.close()
    grace = dt.timedelta(seconds=settings.settlement_attest_payout_grace_s)
    found = exceptions_of(facts, now, grace)
    sys.stdout.write(render(attestation.with_exceptions(report, report_items(found, now))))
    if not found:
        return 0
    tally = ", ".join(f"{kind} x{n}" for kind, n in counts(found).items())
    print(f"attestation FAILED: {tally}", file=sys.stderr)
    return 1


async def _issuance_ledger(dsn: str) -> backing.TokenLedger:
    connection = await asyncpg.connect(dsn)
    try:
        return await backing.issuance_ledger(connection)
    finally:
        await connection.close()


async def _coverage(settings: SettlementSettings) -> int:
    connection = await asyncpg.connect(settings.database_url)
    try:
        async with connection.transaction(readonly=True):
            supply, reserve = await attestation.coverage(connection)
    finally:
        await connection.close()
    print(f"supply {supply}  backing {reserve}  ratio {coverage_ratio(reserve, supply)}")
    return 0


async def _refund(settings: SettlementSettings, deposit_id: uuid.UUID) -> int:
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    bank = settings.bank()
    try:
        async with UnitOfWork(pool) as uow:
            actor = f"operator:{getpass.getuser()}:refund"
            work = SweepWork(uow, Terms(settings.opening_keys()), settings, bank, actor)
            try:
                payout = await refund_deposit(work, deposit_id)
            except RefundRefused as refused:
                print(f"refund refused: {refused}", file=sys.stderr)
                return 2
            await uow.commit()
    finally:
        await bank.close()
        await pool.close()
    print(
        f"refund {payout.payout_id}: {payout.state} via {payout.rail} "
        f"{payout.bank_reference or ''} {payout.detail}".rstrip()
    )
    return 0 if payout.state != "rejected" else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.settlement.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("attest", help="print the reserve attestation report (exit 1: exceptions)")
    commands.add_parser("coverage", help="supply, reserve and coverage ratio now")
    refund = commands.add_parser("refund", help="refund a suspended deposit to its payer")
    refund.add_argument("deposit_id", type=uuid.UUID)
    args = parser.parse_args(argv)
    settings = SettlementSettings(service="settlement")

    async def run() -> int:
        # reports read only: no migration (a read-only role could not run one anyway)
        if args.command == "attest":
            return await _attest(settings)
        if args.command == "coverage":
            return await _coverage(settings)
        # the same schema as the service expects, even before it first started
        await upgrade_async(settings.database_url, MIGRATIONS)
        return await _refund(settings, args.deposit_id)

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
