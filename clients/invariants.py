"""The design's invariants (section 6), checked against the services' own databases and
the broker after a run: by the end-to-end tests and at the end of the benchmark. Returns
the violations found, in words (an empty list: every invariant holds)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from schemas.money import par_tokens
from schemas.principals import SERVICES
from services.issuance.cli import read_supply
from services.runtime.access import KafkaAccess
from services.runtime.lag import GroupPositions
from services.settlement.invariants import reserve_and_ledger_violations, reserve_balance

TERMINAL = ("COMPLETED", "FAILED", "NEEDS_REVIEW")


@dataclass(frozen=True)
class Deployment:
    """Where one platform lives: each service's database, the broker, the topic namespace
    (its consumer groups are named "<namespace>.<service>..."; empty in production)."""

    databases: Mapping[str, str]
    kafka: KafkaAccess
    """A login that may read every topic and describe the services' groups (the operator)."""
    namespace: str = ""

    async def query(self, service: str, sql: str, *args: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.databases[service])
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()


async def check_invariants(platform: Deployment, drain_timeout_s: float = 60.0) -> list[str]:
    problems = await _drained(platform, drain_timeout_s)
    problems += await _parked(platform)
    supply = await read_supply(platform.databases["issuance"])
    problems += [f"issuance: {v}" for v in supply.violations()]
    reserve = await reserve_balance(platform.databases["settlement"])
    if supply.supply > par_tokens(reserve).amount_minor:
        problems.append(f"supply {supply.supply} above the reserve {reserve}")
    problems += await reserve_and_ledger_violations(platform.databases["settlement"])
    problems += await _once_per_redemption(platform)
    problems += await _compensations_net_to_zero(platform)
    running = await platform.query(
        "redemption",
        "SELECT redemption_id, status FROM redemptions WHERE status <> ALL($1)",
        list(TERMINAL),
    )
    problems += [f"saga {r['redemption_id']} still {r['status']}" for r in running]
    return problems


async def _drained(platform: Deployment, timeout_s: float) -> list[str]:
    """Outbox backlogs and consumer lag drain to zero once nothing new comes in."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        backlog = {s: await _backlog(platform, s) for s in SERVICES}
        lag = await _consumer_lag(platform)
        if not any(backlog.values()) and not any(lag.values()):
            return []
        if asyncio.get_running_loop().time() > deadline:
            return [f"{s}: {n} outbox rows unpublished" for s, n in backlog.items() if n] + [
                f"{group}: lag {n}" for group, n in lag.items() if n
            ]
        await asyncio.sleep(0.5)


async def _backlog(platform: Deployment, service: str) -> int:
    rows = await platform.query(
        service,
        "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND parked_at IS NULL",
    )
    return int(rows[0]["n"])


async def _parked(platform: Deployment) -> list[str]:
    """A parked outbox row is a message the broker refused for good: never drained, always
    a finding (`make parked`)."""
    problems = []
    for service in SERVICES:
        rows = await platform.query(
            service,
            "SELECT park_reason, count(*) AS n FROM outbox WHERE parked_at IS NOT NULL"
            " GROUP BY park_reason ORDER BY park_reason",
        )
        problems += [f"{service}: {r['n']} outbox rows parked ({r['park_reason']})" for r in rows]
    return problems


async def _consumer_lag(platform: Deployment) -> dict[str, int]:
    async with GroupPositions(platform.kafka, "invariants") as broker:
        lag: dict[str, int] = {}
        ours = f"{platform.namespace}." if platform.namespace else ""
        groups = [
            g
            for g in await broker.groups()
            if g.startswith(ours) and (ours or g.split(".")[0] in SERVICES)
        ]
        for group in groups:
            committed = await broker.committed(group)
            if not committed:
                continue
            ends = await broker.ends_of(list(committed))
            lag[group] = sum(ends[tp] - offset for tp, offset in committed.items())
        return lag


async def _once_per_redemption(platform: Deployment) -> list[str]:
    checks = {
        ("issuance", "burns"): "SELECT redemption_id FROM burns GROUP BY 1 HAVING count(*) > 1",
        (
            "fx",
            "conversions",
        ): "SELECT redemption_id FROM conversions GROUP BY 1 HAVING count(*) > 1",
        (
            "settlement",
            "payouts",
        ): "SELECT redemption_id FROM payouts GROUP BY 1 HAVING count(*) > 1",
        ("issuance", "mints"): "SELECT deposit_id FROM mints GROUP BY 1 HAVING count(*) > 1",
    }
    problems = []
    for (service, what), sql in checks.items():
        for row in await platform.query(service, sql):
            problems.append(f"{service}: more than one of {what} for {row[0]}")
    return problems


async def _compensations_net_to_zero(platform: Deployment) -> list[str]:
    """A failed redemption left no movement behind: no burn, no open hold, no open
    conversion, no payout."""
    failed = [
        r["redemption_id"]
        for r in await platform.query(
            "redemption", "SELECT redemption_id FROM redemptions WHERE status = 'FAILED'"
        )
    ]
    problems = []
    checks = [
        ("issuance", "SELECT count(*) AS n FROM burns WHERE redemption_id = ANY($1)", "burned"),
        (
            "issuance",
            "SELECT count(*) AS n FROM holds WHERE redemption_id = ANY($1) AND state = 'placed'",
            "still holding tokens",
        ),
        (
            "fx",
            "SELECT count(*) AS n FROM conversions c WHERE redemption_id = ANY($1) AND NOT "
            "EXISTS (SELECT 1 FROM reversals r WHERE r.redemption_id = c.redemption_id)",
            "converted and not reversed",
        ),
        (
            "settlement",
            "SELECT count(*) AS n FROM payouts WHERE redemption_id = ANY($1) "
            "AND state IN ('sent', 'settled')",
            "paid out",
        ),
    ]
    for service, sql, what in checks:
        n = (await platform.query(service, sql, failed))[0]["n"]
        if n:
            problems.append(f"{n} failed redemption(s) {what}")
    return problems
