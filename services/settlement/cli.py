"""Operator commands (database URL and topics from the same CNH_* settings as the service):

    python -m services.settlement.cli attest              # `make attest`: the reserve report
    python -m services.settlement.cli refund DEPOSIT_ID   # pay a suspended deposit back
    python -m services.settlement.cli coverage            # supply, reserve, ratio, one line

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

from services.runtime.db import create_pool
from services.runtime.migrate import upgrade_async
from services.runtime.unit_of_work import UnitOfWork
from services.settlement.__main__ import MIGRATIONS
from services.settlement.bank.simulator import SimulatedBank
from services.settlement.domain.attestation import coverage_ratio
from services.settlement.flows import attestation
from services.settlement.flows.refunds import RefundRefused, refund_deposit
from services.settlement.outbound import from_outbox
from services.settlement.settings import SettlementSettings


async def _attest(settings: SettlementSettings) -> int:
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with UnitOfWork(pool) as uow:
            _, text = await attestation.attest(uow.connection, dt.datetime.now(dt.UTC))
            await uow.commit()
    finally:
        await pool.close()
    sys.stdout.write(text)
    return 0


async def _coverage(settings: SettlementSettings) -> int:
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            supply, backing = await attestation.coverage(connection)
    finally:
        await pool.close()
    print(f"supply {supply}  backing {backing}  ratio {coverage_ratio(backing, supply)}")
    return 0


async def _refund(settings: SettlementSettings, deposit_id: uuid.UUID) -> int:
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    bank = SimulatedBank(settings)
    try:
        async with UnitOfWork(pool) as uow:
            work = from_outbox(uow, settings, f"operator:{getpass.getuser()}:refund")
            try:
                payout = await refund_deposit(work, deposit_id, bank, dt.datetime.now(dt.UTC))
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
    commands.add_parser("attest", help="print and record the reserve attestation report")
    commands.add_parser("coverage", help="supply, reserve and coverage ratio now")
    refund = commands.add_parser("refund", help="refund a suspended deposit to its payer")
    refund.add_argument("deposit_id", type=uuid.UUID)
    args = parser.parse_args(argv)
    settings = SettlementSettings(service="settlement")

    async def run() -> int:
        # the same schema as the service expects, even before it first started
        await upgrade_async(settings.database_url, MIGRATIONS)
        if args.command == "attest":
            return await _attest(settings)
        if args.command == "coverage":
            return await _coverage(settings)
        return await _refund(settings, args.deposit_id)

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
