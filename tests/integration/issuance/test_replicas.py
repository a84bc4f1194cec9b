"""Two replicas in one consumer group share a burst of commands across many wallets; the
ledger ends exact and its supply invariant holds."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from schemas.issuance import Burned, HoldPlaced, HoldReleased, Minted
from services.issuance.cli import read_supply
from tests.integration.issuance.conftest import (
    TOKEN_UNIT,
    Issuance,
    burn,
    mint,
    place,
    release,
)
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def both_replicas_consume(issuance: Issuance) -> None:
    """Probe with harmless commands on many keys until each replica has answered one: the
    group has then given each of them partitions of issuance.commands."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probes = [issuance.command(burn(uuid.uuid4())) for _ in range(8)]
        for probe in probes:
            await issuance.send(uuid.uuid4(), probe)
        await issuance.replies(probes)
        rows = await issuance.platform.query(
            "issuance", "SELECT count(DISTINCT instance) AS n FROM decisions"
        )
        if rows[0]["n"] == 2:
            return
    raise AssertionError(f"one replica never got a partition\n{issuance.platform.logs()}")


async def test_two_replicas_share_a_burst_and_keep_every_balance_exact(
    platform: Environment,
) -> None:
    issuance = Issuance(platform)
    await issuance.start("0")
    await issuance.start("1")
    await both_replicas_consume(issuance)
    await platform.query("issuance", "DELETE FROM decisions")
    wallets = await issuance.verified_wallets(24)

    per_wallet: list[list[Any]] = []
    for customer, wallet in wallets:
        r1, r2, r3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        payloads = [
            mint(customer, wallet, 100), place(r1, wallet, 30), place(r2, wallet, 20),
            burn(r1), release(r2), mint(customer, wallet, 50), place(r3, wallet, 10),
        ]  # fmt: skip
        per_wallet.append([issuance.command(p) for p in payloads])
    # interleaved across wallets (as a burst arrives), in order per wallet (its key)
    for step in range(len(per_wallet[0])):
        for (_, wallet), commands in zip(wallets, per_wallet, strict=True):
            await issuance.send(wallet, commands[step])
    replies = await issuance.replies([c for commands in per_wallet for c in commands])

    expected = (Minted, HoldPlaced, HoldPlaced, Burned, HoldReleased, Minted, HoldPlaced)
    for commands in per_wallet:
        assert tuple(type(replies[c.message_id]) for c in commands) == expected
    balances = await issuance.balances()
    assert {w: balances[w] for _, w in wallets} == {w: 110 * TOKEN_UNIT for _, w in wallets}
    supply = await read_supply(await platform.database("issuance"))
    assert supply.violations() == []
    assert (supply.minted, supply.burned) == (24 * 150 * TOKEN_UNIT, 24 * 30 * TOKEN_UNIT)
    assert supply.holds == 24 * 10 * TOKEN_UNIT
    instances = await platform.query(
        "issuance", "SELECT instance, count(*) AS n FROM decisions GROUP BY instance"
    )
    assert len(instances) == 2, "both replicas applied part of the burst"
