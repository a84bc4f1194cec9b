"""Wallets: EVM addresses, who signed what (EIP-191 proofs of control, EIP-712 redemption
requests), and deposit references."""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_keys.constants import SECPK1_N
from eth_utils.address import is_checksum_address

from schemas.signing import challenge_message, redemption_message

_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits
_HALF_N = SECPK1_N // 2


def address_refusal(address: str) -> str | None:
    """Why `address` cannot be registered, or None: it must be the EIP-55 spelling of an
    EVM address (one spelling per address keeps the uniqueness of addresses honest)."""
    return None if is_checksum_address(address) else "address_malformed"


def signer(message: SignableMessage, signature: str | None) -> str | None:
    """The address whose key made `signature` over `message`; None for a missing or
    malformed signature. Only the canonical form counts (EIP-2: s in the lower half, v 27
    or 28): its mirror image recovers the same signer, and accepting both would give one
    approval two spellings."""
    if signature is None:
        return None
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError:
        return None
    if len(raw) != 65 or raw[64] not in (27, 28) or int.from_bytes(raw[32:64]) > _HALF_N:
        return None
    try:
        address: str = Account.recover_message(message, signature=raw)
    except Exception:  # eth-keys raises its own BadSignature and ValidationError kinds
        return None
    return address


def proof_of_control(
    customer_id: uuid.UUID, wallet_id: uuid.UUID, address: str, signature: str | None
) -> bool:
    """True when `signature` is the address's own EIP-191 signature of the challenge for
    this customer, wallet and address."""
    return signer(challenge_message(customer_id, wallet_id, address), signature) == address


def redemption_signer(typed_data: dict[str, Any], signature: str) -> str | None:
    """Who signed a redemption request's typed data (schemas.signing.redemption_typed_data):
    a changed term recovers another address, never the holder's."""
    try:
        message = redemption_message(typed_data)
    except Exception:  # eth-account refuses terms it cannot encode (e.g. a malformed address)
        return None
    return signer(message, signature)


def new_deposit_reference() -> str:
    """ "CNH-" + 10 random upper-case alphanumerics (36^10 values; uniqueness is also a
    database constraint)."""
    return "CNH-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
