"""Proof of control (an Ed25519 signature of the challenge) and deposit references."""

from __future__ import annotations

import re
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kyc.domain.wallets import challenge, new_deposit_reference, proof_of_control

CUSTOMER, WALLET, ADDRESS = uuid.uuid4(), uuid.uuid4(), "0x" + "ab" * 20


def signed(message: bytes) -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    return key.public_key().public_bytes_raw().hex(), key.sign(message).hex()


def test_a_signature_of_the_challenge_proves_control() -> None:
    public, signature = signed(challenge(CUSTOMER, WALLET, ADDRESS))
    assert proof_of_control(CUSTOMER, WALLET, ADDRESS, public, signature)


def test_a_signature_for_another_customer_wallet_or_address_does_not() -> None:
    public, signature = signed(challenge(CUSTOMER, WALLET, ADDRESS))
    assert not proof_of_control(uuid.uuid4(), WALLET, ADDRESS, public, signature)
    assert not proof_of_control(CUSTOMER, uuid.uuid4(), ADDRESS, public, signature)
    assert not proof_of_control(CUSTOMER, WALLET, "0x" + "cd" * 20, public, signature)


def test_no_signature_or_a_malformed_key_leaves_the_proof_pending() -> None:
    _, signature = signed(challenge(CUSTOMER, WALLET, ADDRESS))
    other_key, _ = signed(b"anything")
    assert not proof_of_control(CUSTOMER, WALLET, ADDRESS, None, None)
    assert not proof_of_control(CUSTOMER, WALLET, ADDRESS, other_key, signature)


def test_deposit_references_have_the_agreed_shape_and_differ() -> None:
    references = {new_deposit_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(re.fullmatch(r"CNH-[A-Z0-9]{10}", r) for r in references)
