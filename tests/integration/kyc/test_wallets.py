"""Wallet registrations against the real service: an EVM address proven by its own key's
EIP-191 signature is verified (the proof kept as the wallet's due-diligence record); another
key's or no signature leaves it pending; an address that is not EIP-55 is refused with its
reason, and the registrations beside it go on."""

from __future__ import annotations

import uuid

import pytest

from clients.wallet import Wallet
from schemas.kyc import RegisterWallet
from tests.integration.kyc.support import apply, events, person, wallet
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def test_a_wallet_is_verified_only_by_its_own_keys_proof(platform: Environment) -> None:
    await platform.start("kyc")
    holder = person("Kwok Hoi Lam")
    proven, unsigned = wallet(holder.customer_id), wallet(holder.customer_id, signed=False)
    key = Wallet()
    other = wallet(holder.customer_id)
    impostor = other.model_copy(
        update={"signature": key.prove_control(holder.customer_id, other.wallet_id)}
    )
    malformed = RegisterWallet(
        customer_id=holder.customer_id,
        wallet_id=uuid.uuid4(),
        address=Wallet().address.lower(),  # the right hex, without its checksum
    )
    await apply(platform, holder, malformed, proven, unsigned, impostor)

    published = await events(platform, 4)  # verified + three registrations, no fourth
    registered = {
        e.payload.wallet_id: e.payload.proof_of_control
        for e in published
        if e.type == "kyc.wallet_registered"
    }
    assert registered == {
        proven.wallet_id: "verified",
        unsigned.wallet_id: "pending",
        impostor.wallet_id: "pending",
    }
    rows = await platform.query(
        "kyc",
        "SELECT wallet_id, address, proof_signature FROM wallets WHERE customer_id = $1",
        holder.customer_id,
    )
    kept = {r["wallet_id"]: (r["address"], r["proof_signature"]) for r in rows}
    assert kept[proven.wallet_id] == (proven.address, proven.signature)
    assert kept[impostor.wallet_id][1] is None, "a proof that proves nothing is not kept"
    refused = await platform.query(
        "kyc",
        "SELECT wallet_id, reason FROM kyc_history WHERE action = 'wallet_refused' "
        "AND customer_id = $1",
        holder.customer_id,
    )
    assert [(r["wallet_id"], r["reason"]) for r in refused] == [
        (malformed.wallet_id, "address_malformed")
    ]
