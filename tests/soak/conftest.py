"""A tiny real platform for the audit's tests, built once per module: every service as its
own process (tests/e2e's live platform), a few deposits and redemptions with every ending
the audit distinguishes, then the services stopped once the platform has healed, so that
what the databases and the broker hold stays put while faults are planted in copies."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bench.soak.audit import Platform
from bench.soak.heal import wait_healed
from clients.scenarios import Holder, Person, fund, onboard, outcome_of, redeem, register_account
from schemas.issuance import Minted
from schemas.principals import SERVICES
from schemas.redemption import RedemptionCompleted, RedemptionFailed
from tests.e2e.conftest import Live, live_platform
from tests.support.money import cnh, tokens
from tests.support.servers import Servers


@dataclass(frozen=True)
class Built:
    """The platform, stopped, and the redemptions of each kind it holds."""

    platform: Platform
    databases: dict[str, str]
    """service -> the service's own DSN."""
    completed_usd: uuid.UUID
    completed_cnh: uuid.UUID
    failed_converted: uuid.UUID
    """Paid to a closed account: converted, then reversed."""
    failed_cnh: uuid.UUID
    refused: uuid.UUID
    """Refused at intake (no quote): a saga with no effects."""
    alice: Holder


async def _closed_account(live: Live, holder: Holder) -> uuid.UUID:
    closed = holder.bank_account.model_copy(update={"account_number": "HK-004-123456-0002"})
    account_id, decision = await register_account(live.outside, live.watcher, holder, closed)
    assert decision == "verified", decision
    return account_id


async def _build(live: Live) -> tuple[Holder, dict[str, uuid.UUID]]:
    alice, bob = await asyncio.gather(
        onboard(
            live.outside, live.watcher, Person("Alice Wong", dt.date(1985, 3, 14), "HK", "K1234567")
        ),
        onboard(
            live.outside, live.watcher, Person("Bob Lam", dt.date(1979, 11, 2), "HK", "K7654321")
        ),
    )
    funded = await asyncio.gather(
        *(fund(live.outside, live.watcher, holder, cnh("1000.00")) for holder in (alice, bob))
    )
    assert all(isinstance(minted, Minted) for minted in funded), funded
    # a credit nobody can be matched to: in the reserve, never minted (the reserve's slack)
    await live.outside.deposit("no reference", cnh("5000.00"), bob.bank_account)
    closed = await _closed_account(live, bob)
    ten = tokens("10.00")
    plan = {
        "completed_usd": (alice, "USD", None),
        "completed_cnh": (alice, "CNH", None),
        "failed_converted": (bob, "HKD", closed),
        "failed_cnh": (bob, "CNH", closed),
    }
    done = await asyncio.gather(
        *(
            redeem(live.outside, live.watcher, holder, ten, currency, beneficiary_account_id=to)
            for holder, currency, to in plan.values()
        )
    )
    found: dict[str, uuid.UUID] = {}
    for name, redemption in zip(plan, done, strict=True):
        expected = RedemptionCompleted if name.startswith("completed") else RedemptionFailed
        assert isinstance(redemption.outcome, expected), (name, redemption.outcome)
        found[name] = redemption.redemption_id
    refused = uuid.uuid4()
    await live.outside.redeem(alice.redeem_request(refused, ten, "USD", None))
    await live.outside.flush()
    assert isinstance(await outcome_of(live.watcher, refused), RedemptionFailed)
    found["refused"] = refused
    return alice, found


async def _stand_still(live: Live, platform: Platform) -> None:
    """Stop the services with nothing in flight: the market feed first, and the simulated
    bank's statements (it sends one every 0.5 s here, which a stopped settlement would
    never read)."""
    while live.market is not None and not live.market.done():
        live.market.cancel()  # again: a cancel that lands inside a send may be swallowed
        await asyncio.sleep(0.2)
    assert live.platform.bank is not None
    bank = live.platform.bank
    bank.process.stop()
    bank.process.start(CNH_BANK_STATEMENT_INTERVAL_S="3600")
    await asyncio.sleep(3)
    progress, healed = await wait_healed(platform, [], timeout_s=60)
    assert healed is not None, str(progress)
    for process in live.platform.processes:
        process.stop()


@pytest.fixture(scope="module")
async def built(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Built]:
    async with live_platform(servers, tmp_path_factory.mktemp("soak-audit")) as live:
        alice, found = await _build(live)
        databases = {s: await live.platform.database(s) for s in SERVICES}
        platform = Platform(
            databases,
            servers.reader.client_options(),
            live.platform.namespace,
            bank=await live.platform.database("bank"),
        )
        progress, healed = await wait_healed(platform, list(found.values()), timeout_s=60)
        assert healed is not None, str(progress)
        await _stand_still(live, platform)
        yield Built(platform, databases, alice=alice, **found)
