"""Operator commands of the saga:

python -m services.redemption.cli saga ID     one redemption's timeline (make saga ID=...)
python -m services.redemption.cli list [N]    the latest redemptions and their status
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid

import asyncpg

from services.redemption.repository import reports
from services.redemption.settings import RedemptionSettings


async def show_saga(dsn: str, redemption_id: uuid.UUID) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        summary = await reports.summary(connection, redemption_id)
        if summary is None:
            print(f"no redemption {redemption_id}")
            return 1
        saga = json.loads(str(summary["saga"]))
        amount = int(str(summary["amount_minor"])) / 1_000_000
        print(f"redemption {redemption_id}")
        print(
            f"  status    {summary['status']}"
            + (
                f"  ({saga['failure']['reason']}: {saga['failure']['detail']})"
                if saga.get("failure")
                else ""
            )
        )
        print(f"  amount    {amount:,.6f} XCNH -> {summary['payout_currency']}")
        print(f"  requested {summary['requested_at']:%Y-%m-%d %H:%M:%S.%f}"[:-3] + " UTC")
        if summary["ended_at"]:
            took = summary["ended_at"] - summary["requested_at"]  # type: ignore[operator]
            print(f"  ended     after {took.total_seconds() * 1000:,.0f} ms")
        print("  timeline")
        for entry in await reports.timeline(connection, redemption_id):
            at = entry["at"]
            print(
                f"    {at:%H:%M:%S.%f}"[:-3] + f"  {entry['event']:<14} {entry['step']:<12} "
                f"{entry['detail']}"
            )
        return 0
    finally:
        await connection.close()


async def list_latest(dsn: str, limit: int) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await reports.latest(connection, limit)
        for row in rows:
            took = (
                f"{(row['ended_at'] - row['requested_at']).total_seconds() * 1000:,.0f} ms"
                if row["ended_at"]
                else "running"
            )
            print(
                f"{row['redemption_id']}  {row['status']:<13} "
                f"{row['amount_minor'] / 1_000_000:>14,.2f} XCNH -> {row['payout_currency']}"
                f"  {took}"
            )
        return 0
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    saga = commands.add_parser("saga", help="one redemption's timeline")
    saga.add_argument("redemption_id", type=uuid.UUID)
    latest = commands.add_parser("list", help="the latest redemptions")
    latest.add_argument("limit", type=int, nargs="?", default=20)
    args = parser.parse_args()
    dsn = RedemptionSettings(service="redemption").database_url
    if args.command == "saga":
        raise SystemExit(asyncio.run(show_saga(dsn, args.redemption_id)))
    raise SystemExit(asyncio.run(list_latest(dsn, args.limit)))


if __name__ == "__main__":
    main()
