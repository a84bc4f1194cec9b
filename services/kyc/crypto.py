"""Personal data at rest: AES-256-GCM with a key ring, so keys can rotate.

A sealed record is `nonce (12 bytes) || ciphertext+tag`, stored beside the id of the key
that sealed it. New records use the active key; records sealed with an older key of the
ring stay readable until re-encrypted. The associated data binds a ciphertext to its row
(the customer id), so a ciphertext copied to another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyRingError(ValueError):
    """The configured key ring is unusable (never echoes key material)."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class KeyRing:
    def __init__(self, keys: dict[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise KeyRingError(f"the active key id {active_key_id!r} is not in the key ring")
        for kid, key in keys.items():
            if len(key) != 32:
                raise KeyRingError(f"key {kid!r} is not 32 bytes (AES-256)")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        # what a key is, whatever it is called: a published key under another id is refused
        self._digests = frozenset(hashlib.sha256(key).digest() for key in keys.values())
        self.active_key_id = active_key_id

    @classmethod
    def parse(cls, spec: str, active_key_id: str) -> KeyRing:
        """From "kid:base64key,kid2:base64key2"."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kid, sep, encoded = item.partition(":")
            if not sep or not kid:
                raise KeyRingError("a key ring entry is not 'kid:base64key'")
            try:
                keys[kid] = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise KeyRingError(f"key {kid!r} is not valid base64") from None
        return cls(keys, active_key_id)

    @classmethod
    def from_lines(cls, text: str) -> KeyRing:
        """From a key ring file: one "kid:base64key" per line, the first one active (as
        `python -m infra.secrets rotate-records` writes it: the new key first)."""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise KeyRingError("the key ring file holds no key")
        return cls.parse(",".join(lines), lines[0].partition(":")[0])

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    def holds(self, key: bytes) -> bool:
        """Whether `key` is in the ring under any id."""
        return hashlib.sha256(key).digest() in self._digests

    def seal(self, plaintext: bytes, associated: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._ciphers[self.active_key_id]
        return Sealed(self.active_key_id, nonce + cipher.encrypt(nonce, plaintext, associated))

    def open(self, sealed: Sealed, associated: bytes) -> bytes:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise KeyRingError(f"key {sealed.key_id!r} is no longer in the key ring")
        nonce, body = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
        return cipher.decrypt(nonce, body, associated)
