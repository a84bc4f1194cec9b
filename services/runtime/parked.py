"""Parked outbox rows, for operators: list them, and re-queue them once the cause is fixed.

    python -m services.runtime.parked list [--service S]                 (make parked)
    python -m services.runtime.parked requeue --service S --id ID... | --all
                                                               (make parked-requeue)

The relay parks a row the broker will never accept as it is (its topic is missing, invalid
or not the service's to write, or the record is too large) and goes on with the rows behind
it. Re-queueing hands the row back to the relay, which publishes it after whatever it
published meanwhile (under its own message id: consumers that saw a copy drop it), or parks
it again if the cause is still there. Ids are per service database: a re-queue names its
service. The database URL comes from the CNH_* settings, as for the services.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from dataclasses import dataclass

import asyncpg

from schemas.principals import SERVICES
from services.runtime.db import Connection
from services.runtime.outbox import OUTBOX_CHANNEL, key_digest
from services.runtime.settings import ServiceSettings


@dataclass(frozen=True, slots=True)
class ParkedRow:
    service: str
    id: int
    topic: str
    key_digest: str
    reason: str
    detail: str
    created_at: dt.datetime
    parked_at: dt.datetime


async def parked_rows(connection: Connection, service: str) -> list[ParkedRow]:
    """The service's parked rows, oldest first; no values (they may hold personal data)."""
    rows = await connection.fetch(
        """
        SELECT id, topic, key, park_reason, coalesce(park_detail, '') AS park_detail,
               created_at, parked_at
          FROM outbox
         WHERE parked_at IS NOT NULL
         ORDER BY id
        """
    )
    return [
        ParkedRow(
            service,
            row["id"],
            row["topic"],
            key_digest(row["key"]),
            row["park_reason"],
            row["park_detail"],
            row["created_at"],
            row["parked_at"],
        )
        for row in rows
    ]


async def requeue(connection: Connection, ids: list[int] | None) -> list[int]:
    """Hand parked rows back to the relay (all of them when `ids` is None) and wake it;
    returns the ids re-queued (an id that is not parked is left alone)."""
    async with connection.transaction():
        requeued = await connection.fetch(
            """
            UPDATE outbox SET parked_at = NULL, park_reason = NULL, park_detail = NULL
             WHERE parked_at IS NOT NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
            RETURNING id
            """,
            ids,
        )
        await connection.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    return sorted(row["id"] for row in requeued)


def format_row(row: ParkedRow) -> str:
    return (
        f"{row.service:<10} {row.id:>10}  {row.parked_at:%Y-%m-%d %H:%M:%S}  {row.topic}  "
        f"key {row.key_digest}  {row.reason}: {row.detail[:100]}"
    )


async def _list(services: list[str]) -> None:
    found = 0
    for service in services:
        connection = await asyncpg.connect(ServiceSettings(service=service).database_url)
        try:
            for row in await parked_rows(connection, service):
                print(format_row(row))
                found += 1
        finally:
            await connection.close()
    print(f"{found} parked outbox row(s)" if found else "no parked outbox rows")
    if found:
        print("after fixing the cause: make parked-requeue SERVICE=<service> ID=<id> (or ALL=1)")


async def _requeue(service: str, ids: list[int] | None) -> None:
    connection = await asyncpg.connect(ServiceSettings(service=service).database_url)
    try:
        requeued = await requeue(connection, ids)
    finally:
        await connection.close()
    print(f"re-queued {len(requeued)} row(s) of {service}: {' '.join(map(str, requeued))}")
    missing = sorted(set(ids or ()) - set(requeued))
    if missing:
        print(f"not parked (published, pruned or never there): {' '.join(map(str, missing))}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["list", "requeue"])
    parser.add_argument(
        "--service", action="append", choices=SERVICES, help="only these services (repeatable)"
    )
    parser.add_argument(
        "--id", action="append", type=int, default=[], help="the row to re-queue (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="re-queue every parked row")
    args = parser.parse_args()
    services = args.service or list(SERVICES)
    if args.command == "list":
        asyncio.run(_list(services))
        return
    if len(services) != 1:
        raise SystemExit("requeue: name the one service whose rows these are: --service S")
    if not args.id and not args.all:
        raise SystemExit("nothing to re-queue: name rows with --id ID, or pass --all")
    asyncio.run(_requeue(services[0], None if args.all else args.id))


if __name__ == "__main__":
    main()
