"""The supply invariant after a randomized workload (mints, holds, releases, burns,
duplicates, reorderings), checked against the replies and by the operators' CLI, which
fails when the ledger is tampered with."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from schemas import Envelope, Message
from schemas.issuance import Burned, HoldPlaced, HoldReleased, Minted
from services.issuance.cli import read_supply
from tests.integration.issuance.conftest import Issuance, burn, mint, place, release

pytestmark = pytest.mark.integration

SEED = 20261126


def workload(
    rng: random.Random, issuance: Issuance, wallets: list[tuple[uuid.UUID, uuid.UUID]]
) -> list[tuple[uuid.UUID, Envelope[Any]]]:
    """(key, command) pairs: valid flows mixed with duplicates and out-of-order steps."""
    sent: list[tuple[uuid.UUID, Envelope[Any]]] = []
    deposits: list[tuple[uuid.UUID, Message]] = []
    redemptions: list[tuple[uuid.UUID, uuid.UUID]] = []  # (redemption, wallet)

    def send(wallet: uuid.UUID, payload: Message) -> None:
        sent.append((wallet, issuance.command(payload)))

    for _ in range(160):
        customer, wallet = rng.choice(wallets)
        roll = rng.random()
        if roll < 0.3 or not deposits:
            payload = mint(customer, wallet, rng.randint(1, 50))
            deposits.append((wallet, payload))
            send(wallet, payload)
        elif roll < 0.38:  # the same deposit again under another command id
            send(*rng.choice(deposits))
        elif roll < 0.45 and sent:  # a redelivery: the very same command
            sent.append(rng.choice(sent))
        elif roll < 0.7:
            redemption = uuid.uuid4()
            redemptions.append((redemption, wallet))
            send(wallet, place(redemption, wallet, rng.randint(1, 40)))
        else:
            # release or burn a known redemption, or one whose hold comes later (reordered)
            if rng.random() < 0.2 or not redemptions:
                redemption = uuid.uuid4()
                redemptions.append((redemption, wallet))
            else:
                redemption, wallet = rng.choice(redemptions)
            send(wallet, rng.choice([release, burn])(redemption))
            if rng.random() < 0.3:  # the late hold of a reordered flow
                send(wallet, place(redemption, wallet, rng.randint(1, 10)))
    return sent


def expected_from(replies: list[Message]) -> tuple[dict[uuid.UUID, int], int, int, int]:
    """Balances per wallet, minted, burned and held, from the replies alone."""
    balances: dict[uuid.UUID, int] = {}
    minted: dict[uuid.UUID | None, Any] = {r.mint_id: r for r in replies if isinstance(r, Minted)}
    placed: dict[uuid.UUID | None, Any] = {
        r.hold_id: r for r in replies if isinstance(r, HoldPlaced)
    }
    released: dict[uuid.UUID | None, Any] = {
        r.hold_id: r for r in replies if isinstance(r, HoldReleased) and r.hold_id
    }
    burned: dict[uuid.UUID | None, Any] = {r.burn_id: r for r in replies if isinstance(r, Burned)}
    for m in minted.values():
        balances[m.wallet_id] = balances.get(m.wallet_id, 0) + m.amount.amount_minor
    for h in placed.values():
        balances[h.wallet_id] -= h.amount.amount_minor
    for r in released.values():
        assert r.wallet_id is not None
        balances[r.wallet_id] += amount(r)

    def total(facts: dict[uuid.UUID | None, Any]) -> int:
        return sum(amount(fact) for fact in facts.values())

    held = total(placed) - total(released) - total(burned)
    return balances, total(minted), total(burned), held


def amount(fact: Minted | HoldPlaced | HoldReleased | Burned) -> int:
    assert fact.amount is not None
    return fact.amount.amount_minor


async def test_supply_invariant_after_a_randomized_workload(issuance: Issuance) -> None:
    rng = random.Random(SEED)
    wallets = await issuance.verified_wallets(6)
    commands = workload(rng, issuance, wallets)
    for wallet, command in commands:
        await issuance.send(wallet, command)
    by_id = await issuance.replies([c for _, c in commands])
    replies = [by_id[c.message_id] for _, c in commands]
    assert {type(r) for r in replies} >= {Minted, HoldPlaced, HoldReleased, Burned}

    balances, minted, burned, held = expected_from(replies)
    assert await issuance.balances() == {w: balances.get(w, 0) for _, w in wallets}
    database_url = await issuance.platform.database("issuance")
    supply = await read_supply(database_url)
    assert supply.violations() == []
    assert (supply.minted, supply.burned, supply.holds) == (minted, burned, held)
    assert supply.supply == sum(balances.values()) + held

    code, out, err = await issuance.platform.cli("issuance", "supply")
    assert code == 0, out + err
    assert "invariant minted - burned == balances + holds: holds" in out

    # a balance changed behind the journal's back: the check must say so
    await issuance.platform.query(
        "issuance",
        "UPDATE accounts SET balance = balance + 1 WHERE account = (SELECT account FROM accounts"
        " WHERE kind = 'wallet' ORDER BY account LIMIT 1)",
    )
    code, out, err = await issuance.platform.cli("issuance", "supply")
    assert code == 1, out + err
    assert "BROKEN" in out
