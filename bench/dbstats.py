"""Database-side evidence: what a load step wrote and committed (pg_stat_database), how
many records each service consumed and produced (inbox and outbox rows), and whether any
table was scanned sequentially while the load ran (pg_stat_user_tables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from schemas.principals import SERVICES

Snapshot = dict[str, dict[str, Any]]


async def snapshot(databases: Mapping[str, str]) -> Snapshot:
    found: Snapshot = {}
    for service in SERVICES:
        connection = await asyncpg.connect(databases[service])
        try:
            await connection.execute("SELECT pg_stat_clear_snapshot()")
            db = await connection.fetchrow(
                "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS rows"
                "  FROM pg_stat_database WHERE datname = current_database()"
            )
            tables = await connection.fetch(
                "SELECT schemaname || '.' || relname AS name, seq_scan, seq_tup_read, "
                "coalesce(idx_scan, 0) AS idx_scan, n_live_tup FROM pg_stat_user_tables"
            )
            inbox = await connection.fetchval("SELECT count(*) FROM inbox")
            outbox = await connection.fetchval("SELECT count(*) FROM outbox")
        finally:
            await connection.close()
        assert db is not None  # the current database always has its row
        found[service] = {
            "commits": db["xact_commit"],
            "rows": db["rows"],
            "inbox": inbox,
            "outbox": outbox,
            "tables": {t["name"]: dict(t) for t in tables},
        }
    return found


def delta(before: Snapshot, after: Snapshot, completed: int) -> dict[str, Any]:
    """Per-service counts between two snapshots, and per completed redemption."""
    per_service: dict[str, Any] = {}
    seq_scans: list[dict[str, Any]] = []
    for service in SERVICES:
        a, b = after[service], before[service]
        per_service[service] = {k: a[k] - b[k] for k in ("commits", "rows", "inbox", "outbox")}
        for name, table in a["tables"].items():
            old = b["tables"].get(name, {"seq_scan": 0, "seq_tup_read": 0})
            scans = table["seq_scan"] - old["seq_scan"]
            if scans:
                seq_scans.append(
                    {
                        "service": service,
                        "table": name,
                        "seq_scans": scans,
                        "rows_read": table["seq_tup_read"] - old["seq_tup_read"],
                        "live_rows": table["n_live_tup"],
                    }
                )
    total = {
        k: sum(s[k] for s in per_service.values()) for k in ("commits", "rows", "inbox", "outbox")
    }
    per = {k: round(v / completed, 2) if completed else None for k, v in total.items()}
    return {
        "per_service": per_service,
        "total": total,
        "per_redemption": per,
        "seq_scans": seq_scans,
    }
