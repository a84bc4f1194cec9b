"""EVM wallets: addresses in their EIP-55 spelling, proof of control by an EIP-191 signature
of KYC's challenge, and deposit references."""

from __future__ import annotations

import re
import uuid

from eth_keys.constants import SECPK1_N

from clients.wallet import Wallet
from services.kyc.domain.wallets import address_refusal, new_deposit_reference, proof_of_control

CUSTOMER, WALLET = uuid.uuid4(), uuid.uuid4()
HOLDER = Wallet()  # a key of this run only


def test_the_wallets_signature_of_the_challenge_proves_control() -> None:
    signature = HOLDER.prove_control(CUSTOMER, WALLET)
    assert proof_of_control(CUSTOMER, WALLET, HOLDER.address, signature)


def test_a_proof_for_another_customer_wallet_or_address_does_not() -> None:
    signature = HOLDER.prove_control(CUSTOMER, WALLET)
    assert not proof_of_control(uuid.uuid4(), WALLET, HOLDER.address, signature)
    assert not proof_of_control(CUSTOMER, uuid.uuid4(), HOLDER.address, signature)
    assert not proof_of_control(CUSTOMER, WALLET, Wallet().address, signature)


def test_another_keys_signature_or_none_leaves_the_proof_pending() -> None:
    impostor = Wallet().prove_control(CUSTOMER, WALLET)
    assert not proof_of_control(CUSTOMER, WALLET, HOLDER.address, impostor)
    assert not proof_of_control(CUSTOMER, WALLET, HOLDER.address, None)


def test_a_malformed_or_non_canonical_signature_proves_nothing() -> None:
    signature = HOLDER.prove_control(CUSTOMER, WALLET)
    raw = bytes.fromhex(signature[2:])
    # the same signature's mirror image (s -> n - s, v flipped) recovers the same signer:
    # only the canonical, low-s form counts (EIP-2)
    high_s = SECPK1_N - int.from_bytes(raw[32:64])
    mirror = raw[:32] + high_s.to_bytes(32) + bytes([55 - raw[64]])
    for bad in ("0x" + "00" * 65, "0x" + "ff" * 65, "0x" + mirror.hex(), signature[:-2] + "00"):
        assert not proof_of_control(CUSTOMER, WALLET, HOLDER.address, bad), bad


def test_only_an_eip55_address_can_be_registered() -> None:
    assert address_refusal(HOLDER.address) is None
    for malformed in (
        HOLDER.address.lower(),  # no checksum
        HOLDER.address[:2] + HOLDER.address[2:].swapcase(),  # every letter's case wrong
        HOLDER.address[:-1],
        "0x" + "g" * 40,
        "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
    ):
        assert address_refusal(malformed) == "address_malformed", malformed


def test_deposit_references_have_the_agreed_shape_and_differ() -> None:
    references = {new_deposit_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(re.fullmatch(r"CNH-[A-Z0-9]{10}", r) for r in references)
