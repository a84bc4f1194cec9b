"""Every service as its own process, in one isolated environment per test module, driven
through the ingress topics like the outside world would (clients/)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clients.market import feed
from clients.outside import Outside
from clients.scenarios import Holder
from clients.watcher import Watcher
from schemas.principals import SERVICES
from tests.support.environment import Environment
from tests.support.servers import Servers

# Short delays so the scenarios take seconds; every other setting is the production default.
E2E_SETTINGS = {
    "CNH_REDEMPTION_STEP_TIMEOUT_S": "4",
    "CNH_REDEMPTION_QUERY_INTERVAL_S": "0.5",
    "CNH_REDEMPTION_WATCHDOG_INTERVAL_S": "0.2",
    "CNH_FX_QUOTE_TTL_S": "4",
    "CNH_SETTLEMENT_RECONCILE_INTERVAL_S": "0.5",
    "CNH_SETTLEMENT_BANK_TIMEOUT_S": "1",
    # the simulated bank's (the environment starts it with settlement)
    "CNH_BANK_SETTLE_DELAY_S": "0.2",
    "CNH_BANK_LATE_DELAY_S": "1",
    "CNH_BANK_RETURN_DELAY_S": "2",
    "CNH_BANK_STATEMENT_INTERVAL_S": "0.5",
}


@dataclass
class Live:
    platform: Environment
    outside: Outside
    watcher: Watcher
    market: asyncio.Task[None] | None = None
    """The market feed (cancel it for the topics to stand still)."""

    async def balance(self, holder: Holder) -> int:
        """The holder's wallet balance as issuance books it, in token minor units."""
        rows = await self.platform.query(
            "issuance",
            "SELECT balance FROM accounts WHERE kind = 'wallet' AND wallet_id = $1",
            holder.wallet_id,
        )
        return int(rows[0]["balance"])


@contextlib.asynccontextmanager
async def live_platform(
    servers: Servers,
    folder: Path,
    prepare: Callable[[Environment], Awaitable[None]] | None = None,
) -> AsyncIterator[Live]:
    """Every service started in a new environment (after `prepare`, if given), the outside
    world's producers (each role as its own principal), a watcher of the facts, and the
    market feed running."""
    platform = await Environment.create(servers, folder)
    try:
        if prepare is not None:
            await prepare(platform)
        await platform.start_many(SERVICES, **E2E_SETTINGS)
        async with (
            Outside(servers.kafka, platform.namespace) as outside,
            Watcher(servers.reader, platform.namespace) as watcher,
        ):
            market = asyncio.create_task(feed(outside, every_s=2.0))
            try:
                yield Live(platform, outside, watcher, market)
            finally:
                market.cancel()
    finally:
        await platform.close()


@pytest.fixture(scope="module")
async def live(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    async with live_platform(servers, tmp_path_factory.mktemp("e2e")) as started:
        yield started
