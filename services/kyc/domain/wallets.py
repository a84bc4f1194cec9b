"""Wallets: proof of control and deposit references."""

from __future__ import annotations

import secrets
import string
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits


def challenge(customer_id: uuid.UUID, wallet_id: uuid.UUID, address: str) -> bytes:
    """What the wallet's key signs: binds the proof to this customer, wallet and address."""
    return f"cnh-kyc-wallet:{customer_id}:{wallet_id}:{address}".encode()


def proof_of_control(
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID,
    address: str,
    public_key_hex: str | None,
    signature_hex: str | None,
) -> bool:
    """True when `signature_hex` is a valid Ed25519 signature of the challenge by
    `public_key_hex`. (Binding the key to the address is chain-specific and left to the
    wallet gateway; this check proves the registrant holds the key it presents.)"""
    if not public_key_hex or not signature_hex:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), challenge(customer_id, wallet_id, address))
    except (InvalidSignature, ValueError):
        return False
    return True


def new_deposit_reference() -> str:
    """ "CNH-" + 10 random upper-case alphanumerics (36^10 values; uniqueness is also a
    database constraint)."""
    return "CNH-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
