"""Waiting for the platform to heal after the faults: every saga requested has ended, every
outbox is drained and every consumer group has caught up. Polled with a few cheap queries
(the audit proper reads everything once, afterwards)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

import asyncpg

from bench.soak.audit import Platform
from bench.soak.audit.broker import consumer_lag
from bench.soak.audit.checks import TERMINAL
from bench.soak.audit.facts import SETTLE_S


@dataclass(frozen=True)
class Progress:
    missing: int
    """Requested redemptions with no saga yet."""
    running: int
    unpublished: int
    lag: int
    lagging: tuple[str, ...] = ()
    """The groups behind, with their lag."""

    @property
    def healed(self) -> bool:
        return not (self.missing or self.running or self.unpublished or self.lag)

    def __str__(self) -> str:
        return (
            f"sagas missing {self.missing}, running {self.running}; outbox rows unpublished "
            f"{self.unpublished}; consumer lag {self.lag} {' '.join(self.lagging)}"
        )


async def progress(platform: Platform, requested: Collection[uuid.UUID]) -> Progress:
    unpublished = 0
    for dsn in platform.databases.values():
        unpublished += await _value(
            dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL"
        )
    known = await _value(
        platform.databases["redemption"],
        "SELECT count(*) FROM redemptions WHERE redemption_id = ANY($1::uuid[])",
        list(requested),
    )
    running = await _value(
        platform.databases["redemption"],
        "SELECT count(*) FROM redemptions WHERE status <> ALL($1::text[])",
        list(TERMINAL),
    )
    lag = await consumer_lag(platform.kafka, platform.topic(""), SETTLE_S)
    behind = tuple(f"{g.removeprefix(platform.topic(''))}={n}" for g, n in lag.items() if n)
    return Progress(len(requested) - known, running, unpublished, sum(lag.values()), behind)


async def wait_healed(
    platform: Platform,
    requested: Collection[uuid.UUID],
    timeout_s: float,
    every_s: float = 1.0,
    sending: Callable[[], bool] = lambda: False,
) -> tuple[Progress, float | None]:
    """Polls until healed; returns the last progress and when it healed (monotonic clock),
    or None if it did not within `timeout_s`. `requested` may still grow while `sending()`
    says so (requests held up by the faults): not healed before it is done. A server still
    coming back counts as not healed yet."""
    deadline = time.monotonic() + timeout_s
    last = Progress(len(requested), 0, 0, 0)
    while time.monotonic() < deadline:
        try:
            last = await progress(platform, list(requested))
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            print(f"  (heal probe: {type(exc).__name__})", flush=True)
        else:
            if last.healed and not sending():
                return last, time.monotonic()
        await asyncio.sleep(every_s)
    return last, None


async def _value(dsn: str, sql: str, *args: object) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(sql, *args))
    finally:
        await connection.close()
