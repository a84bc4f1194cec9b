"""Mint: only for a deposit settlement told of (its wallet, its amount), only to a verified
customer's own registered, unfrozen wallet, once per deposit, never beyond the reserve that
issuance learned from settlement; freezes stop mints and holds but frozen tokens stay in
supply."""

from __future__ import annotations

import uuid

import pytest

from schemas import Codec, DeadLetter
from schemas.issuance import HoldRejected, Minted, MintRejected
from schemas.kyc import (
    CustomerFrozen,
    CustomerRejected,
    CustomerVerified,
    WalletFrozen,
    WalletRegistered,
    WalletUnfrozen,
)
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.issuance.domain.ledger import mint_id
from tests.integration.issuance.conftest import (
    TOKEN_UNIT,
    Issuance,
    address,
    mint,
    onboarding,
    place,
)

pytestmark = pytest.mark.integration

DEAD_LETTERS = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)


async def test_every_mint_refusal_and_one_mint_per_deposit(issuance: Issuance) -> None:
    (alice, a_wallet), (_dora, d_wallet) = await issuance.verified_wallets(2)
    bob, b_wallet = uuid.uuid4(), uuid.uuid4()
    carol, c_wallet = uuid.uuid4(), uuid.uuid4()
    erin, e_wallet = uuid.uuid4(), uuid.uuid4()
    await issuance.kyc(bob, CustomerRejected(customer_id=bob, reason="failed_screening"))
    await issuance.kyc(bob, onboarding(bob, b_wallet)[1])
    await issuance.kyc(carol, *onboarding(carol, c_wallet))
    await issuance.kyc(carol, CustomerFrozen(customer_id=carol, reason="court_order"))
    await issuance.kyc(
        erin,
        CustomerVerified(customer_id=erin, tier="basic", due_diligence="simplified"),
        WalletRegistered(
            customer_id=erin, wallet_id=e_wallet, address=address(e_wallet),
            deposit_reference="CNH-ERIN000001", proof_of_control="pending",
        ),
    )  # fmt: skip
    await issuance.wait_for_wallets({b_wallet, c_wallet, e_wallet})
    await issuance.wait_until(
        "SELECT frozen FROM customers WHERE customer_id = $1", lambda r: r and r[0][0], carol
    )

    deposit = uuid.uuid4()
    first = issuance.command(mint(alice, a_wallet, 100, reserve_fen=100_00, deposit_id=deposit))
    again = issuance.command(mint(alice, a_wallet, 100, reserve_fen=100_00, deposit_id=deposit))
    # told of, but no credit of the reserve came with it: the figure it carries counts for
    # nothing, and the reserve issuance learned backs only the first mint
    over = issuance.command(mint(alice, a_wallet, 1, reserve_fen=10**15))
    await issuance.tell([over.payload], credited=False)
    unknown = issuance.command(mint(alice, uuid.uuid4(), 5))
    rejected = issuance.command(mint(bob, b_wallet, 5))
    frozen_customer = issuance.command(mint(carol, c_wallet, 5))
    not_theirs = issuance.command(mint(alice, d_wallet, 5))
    unproven = issuance.command(mint(erin, e_wallet, 5))
    await issuance.send(a_wallet, first, again, over)
    await issuance.send(a_wallet, first)  # redelivered: same command id
    refused = (unknown, rejected, frozen_customer, not_theirs, unproven)
    # told without a credit: the reserve stays what backs the first mint, whenever `over` is read
    await issuance.tell([env.payload for env in refused], credited=False)
    for env in refused:
        await issuance.send(env.payload.wallet_id, env)
    replies = await issuance.replies(
        [first, again, over, unknown, rejected, frozen_customer, not_theirs, unproven]
    )

    minted = replies[first.message_id]
    assert isinstance(minted, Minted)
    assert minted.mint_id == mint_id(deposit)
    assert minted.supply_after.amount_minor == 100 * TOKEN_UNIT  # exactly at the reserve: ok
    assert replies[again.message_id] == minted  # same deposit, other command: original outcome
    reasons = {
        name: reply.reason
        for name, env in [
            ("over", over), ("unknown", unknown), ("rejected", rejected),
            ("frozen_customer", frozen_customer), ("not_theirs", not_theirs),
            ("unproven", unproven),
        ]
        if isinstance(reply := replies[env.message_id], MintRejected)
    }  # fmt: skip
    assert reasons == {
        "over": "reserve_shortfall",
        "unknown": "unknown_wallet",
        "rejected": "customer_not_verified",
        "frozen_customer": "customer_frozen",
        "not_theirs": "wallet_not_theirs",
        "unproven": "wallet_not_theirs",
    }
    assert (await issuance.balances())[a_wallet] == 100 * TOKEN_UNIT
    rows = await issuance.platform.query(
        "issuance", "SELECT count(*) AS n FROM movements WHERE deposit_id = $1", deposit
    )
    assert rows[0]["n"] == 1
    decided = await issuance.platform.query(
        "issuance", "SELECT reason FROM decisions WHERE command_id = $1", unknown.message_id
    )
    assert decided[0]["reason"] == "unknown_wallet"  # rejections are recorded with the why

    events = await issuance.events(1)
    assert len(events) == 1
    assert events[0] == minted  # the fact links deposit, mint, wallet and supply


async def test_a_deposit_refused_before_kyc_mints_on_retry_and_freezes_stop_mints_and_holds(
    issuance: Issuance,
) -> None:
    customer, wallet = uuid.uuid4(), uuid.uuid4()
    deposit = uuid.uuid4()
    early = issuance.command(mint(customer, wallet, 10, deposit_id=deposit))
    await issuance.send(wallet, early)
    refused_early = (await issuance.replies([early]))[early.message_id]
    assert isinstance(refused_early, MintRejected)
    assert (refused_early.deposit_id, refused_early.reason) == (deposit, "unknown_wallet")

    await issuance.kyc(customer, *onboarding(customer, wallet))
    await issuance.wait_for_wallets({wallet})
    retry = issuance.command(mint(customer, wallet, 10, deposit_id=deposit))  # operator retry
    await issuance.send(wallet, retry)
    assert isinstance((await issuance.replies([retry]))[retry.message_id], Minted)

    await issuance.kyc(customer, WalletFrozen(customer_id=customer, wallet_id=wallet, reason="x"))
    await issuance.wait_until(
        "SELECT frozen FROM wallets WHERE wallet_id = $1", lambda r: r[0][0], wallet
    )
    frozen_mint = issuance.command(mint(customer, wallet, 1))
    frozen_hold = issuance.command(place(uuid.uuid4(), wallet, 1))
    await issuance.send(wallet, frozen_mint, frozen_hold)
    replies = await issuance.replies([frozen_mint, frozen_hold])
    assert isinstance(refused := replies[frozen_mint.message_id], MintRejected)
    assert refused.reason == "wallet_frozen"
    assert isinstance(refused_hold := replies[frozen_hold.message_id], HoldRejected)
    assert refused_hold.reason == "wallet_frozen"
    supply = await issuance.platform.query(
        "issuance", "SELECT -balance AS minted FROM accounts WHERE account = 'issuer:minted'"
    )
    assert supply[0]["minted"] == 10 * TOKEN_UNIT  # the frozen tokens are still in supply
    assert (await issuance.balances())[wallet] == 10 * TOKEN_UNIT

    await issuance.kyc(customer, WalletUnfrozen(customer_id=customer, wallet_id=wallet))
    await issuance.wait_until(
        "SELECT frozen FROM wallets WHERE wallet_id = $1", lambda r: not r[0][0], wallet
    )
    thawed = issuance.command(mint(customer, wallet, 1))
    await issuance.send(wallet, thawed)
    assert isinstance((await issuance.replies([thawed]))[thawed.message_id], Minted)


async def test_a_mint_of_a_fabricated_deposit_creates_no_token_whatever_reserve_it_claims(
    issuance: Issuance,
) -> None:
    [(customer, wallet)] = await issuance.verified_wallets(1)
    million = 1_000_000
    # whoever can write issuance.commands (the saga can) forges a deposit and a reserve
    forged = issuance.command(mint(customer, wallet, million, reserve_fen=10**17))
    # a real deposit of 10, claimed for a million, and for another wallet
    real = mint(customer, wallet, 10)
    await issuance.tell([real])
    inflated = issuance.command(
        mint(customer, wallet, million, reserve_fen=10**17, deposit_id=real.deposit_id)
    )
    elsewhere = issuance.command(
        mint(uuid.uuid4(), uuid.uuid4(), 10, reserve_fen=10**17, deposit_id=real.deposit_id)
    )
    await issuance.send(wallet, forged, inflated, elsewhere, told=False)
    replies = await issuance.replies([forged, inflated, elsewhere])

    assert {name: getattr(replies[env.message_id], "reason", None) for name, env in [
        ("forged", forged), ("inflated", inflated), ("elsewhere", elsewhere),
    ]} == {
        "forged": "unknown_deposit",
        "inflated": "deposit_mismatch",
        "elsewhere": "deposit_mismatch",
    }  # fmt: skip
    supply = await issuance.platform.query(
        "issuance",
        "SELECT (SELECT -balance FROM accounts WHERE account = 'issuer:minted') AS minted,"
        " (SELECT count(*) FROM movements) AS movements",
    )
    assert (supply[0]["minted"], supply[0]["movements"]) == (0, 0)
    assert (await issuance.balances())[wallet] == 0

    # the real deposit still mints, against the reserve issuance recorded, not the claim
    honest = issuance.command(real)
    await issuance.send(wallet, honest)
    minted = (await issuance.replies([honest]))[honest.message_id]
    assert isinstance(minted, Minted)
    assert minted.supply_after.amount_minor == 10 * TOKEN_UNIT
    recorded = await issuance.platform.query(
        "issuance", "SELECT reserve_cnh FROM mints WHERE deposit_id = $1", real.deposit_id
    )
    assert recorded[0]["reserve_cnh"] == 10_00  # 10 CNH, as settlement's facts told


async def test_a_mint_on_the_sagas_command_topic_is_dead_lettered_and_mints_nothing(
    issuance: Issuance,
) -> None:
    """The saga may write issuance.commands, settlement alone issuance.mints: a mint on the
    saga's topic, for a deposit settlement did tell of, is refused as a type that topic does
    not carry, and the same command on settlement's topic mints."""
    [(customer, wallet)] = await issuance.verified_wallets(1)
    real = mint(customer, wallet, 10)
    await issuance.tell([real])
    smuggled = issuance.command(real)
    await issuance.platform.send("issuance.commands", str(wallet), smuggled)

    letters = await issuance.platform.read("issuance.dlq", bool)
    letter = DEAD_LETTERS.decode(letters[0].value).payload
    assert (letter.reason, letter.source_topic) == (
        "unexpected_type",
        issuance.platform.topic("issuance.commands"),
    )
    minted = await issuance.platform.query("issuance", "SELECT count(*) AS n FROM mints")
    assert minted[0]["n"] == 0

    honest = issuance.command(real)
    await issuance.send(wallet, honest)
    assert isinstance((await issuance.replies([honest]))[honest.message_id], Minted)
