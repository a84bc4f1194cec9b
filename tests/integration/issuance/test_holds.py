"""Holds: placed -> released | burned, one way; every refusal; duplicates and reordered
commands as the saga may send them; many holds racing for one wallet's balance."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from schemas import Message
from schemas.issuance import (
    Burned,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    Minted,
    ReleaseRejected,
)
from services.issuance.domain.ledger import burn_id, hold_id
from tests.integration.issuance.conftest import (
    TOKEN_UNIT,
    Issuance,
    burn,
    mint,
    place,
    release,
)

pytestmark = pytest.mark.integration


def outcome(reply: Message) -> str:
    reason = getattr(reply, "reason", None)
    return f"{reply.TYPE.removeprefix('issuance.')}{f':{reason}' if reason else ''}"


async def test_hold_lifecycle_refusals_duplicates_and_reorderings(issuance: Issuance) -> None:
    [(customer, wallet)] = await issuance.verified_wallets(1)
    funded = issuance.command(mint(customer, wallet, 100))
    await issuance.send(wallet, funded)
    assert isinstance((await issuance.replies([funded]))[funded.message_id], Minted)

    r1, r2, r3, r4, r5, r6 = (uuid.uuid4() for _ in range(6))
    steps: list[tuple[str, Any]] = [
        ("place r1", place(r1, wallet, 30)),
        ("burn r1", burn(r1)),
        ("release r1 after burn", release(r1)),
        ("burn r1 again", burn(r1)),
        ("place r2", place(r2, wallet, 20)),
        ("release r2", release(r2)),
        ("burn r2 after release", burn(r2)),
        ("release r2 again", release(r2)),
        ("burn r3 before place", burn(r3)),
        ("release r4 before place", release(r4)),
        ("place r4 late", place(r4, wallet, 5)),
        ("place r5", place(r5, wallet, 10)),
        ("place r5 again", place(r5, wallet, 10)),
        ("place r5 otherwise", place(r5, wallet, 11)),
        ("place r6 too much", place(r6, wallet, 1_000)),
    ]
    commands = [issuance.command(payload) for _, payload in steps]
    await issuance.send(wallet, *commands)
    stranger = issuance.command(place(uuid.uuid4(), uuid.uuid4(), 1))
    await issuance.send(stranger.payload.wallet_id, stranger)
    await issuance.send(wallet, commands[0], commands[5])  # redelivered: replayed, no effect
    replies = await issuance.replies([*commands, stranger])

    outcomes = {
        name: outcome(replies[c.message_id]) for (name, _), c in zip(steps, commands, strict=True)
    }
    assert outcomes == {
        "place r1": "hold_placed",
        "burn r1": "burned",
        "release r1 after burn": "release_rejected:already_burned",
        "burn r1 again": "burned",
        "place r2": "hold_placed",
        "release r2": "hold_released",
        "burn r2 after release": "burn_rejected:hold_released",
        "release r2 again": "hold_released",
        "burn r3 before place": "burn_rejected:unknown_hold",
        "release r4 before place": "hold_released",
        "place r4 late": "hold_rejected:cancelled",
        "place r5": "hold_placed",
        "place r5 again": "hold_placed",
        "place r5 otherwise": "hold_rejected:duplicate_redemption",
        "place r6 too much": "hold_rejected:insufficient_balance",
    }
    assert outcome(replies[stranger.message_id]) == "hold_rejected:unknown_wallet"
    burned = replies[commands[1].message_id]
    assert isinstance(burned, Burned)
    assert (burned.burn_id, burned.amount.amount_minor) == (burn_id(r1), 30 * TOKEN_UNIT)
    assert burned.supply_after.amount_minor == 70 * TOKEN_UNIT
    assert replies[commands[3].message_id] == burned  # one burn per redemption
    released = replies[commands[5].message_id]
    assert isinstance(released, HoldReleased)
    assert (released.hold_id, released.wallet_id) == (hold_id(r2), wallet)
    assert replies[commands[7].message_id] == released
    cancelled = replies[commands[9].message_id]
    assert isinstance(cancelled, HoldReleased)
    assert (cancelled.hold_id, cancelled.amount) == (None, None)
    assert isinstance(replies[commands[1].message_id], Burned)
    assert isinstance(replies[commands[2].message_id], ReleaseRejected)
    assert isinstance(replies[commands[6].message_id], BurnRejected)
    assert isinstance(replies[commands[10].message_id], HoldRejected)

    # 100 minted - 30 burned; of the 70 left, 10 are held for r5
    assert (await issuance.balances())[wallet] == 60 * TOKEN_UNIT
    holds = await issuance.platform.query(
        "issuance", "SELECT sum(balance) AS held FROM accounts WHERE kind = 'hold'"
    )
    assert holds[0]["held"] == 10 * TOKEN_UNIT

    # the facts, in order, with the links an auditor follows
    events = await issuance.events(6)
    assert [(type(e).__name__, getattr(e, "redemption_id", None)) for e in events] == [
        ("Minted", None),
        ("HoldPlaced", r1),
        ("Burned", r1),
        ("HoldPlaced", r2),
        ("HoldReleased", r2),
        ("HoldPlaced", r5),
    ]
    assert isinstance(events[1], HoldPlaced)
    assert events[1].hold_id == hold_id(r1)
    assert events[2] == burned


async def test_a_burst_of_holds_on_one_wallet_never_overdraws_it(issuance: Issuance) -> None:
    [(customer, wallet)] = await issuance.verified_wallets(1)
    funded = issuance.command(mint(customer, wallet, 10))
    await issuance.send(wallet, funded)
    await issuance.replies([funded])

    holds = [issuance.command(place(uuid.uuid4(), wallet, 1)) for _ in range(25)]
    await issuance.send(wallet, *holds)
    replies = await issuance.replies(holds)

    outcomes = [outcome(replies[h.message_id]) for h in holds]
    assert outcomes.count("hold_placed") == 10
    assert outcomes.count("hold_rejected:insufficient_balance") == 15
    assert (await issuance.balances())[wallet] == 0
