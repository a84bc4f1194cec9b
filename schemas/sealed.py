"""Personal data on a topic: sealed to the one service that must read it.

A producer seals a value (a Struct: a person's particulars, a bank account) to the consuming
service's public X25519 key; only that service's private key opens it. The scheme is
ECIES-like, with nothing to negotiate:

    ephemeral X25519 key pair per value -> shared secret with the recipient's key
    -> HKDF-SHA256 (salt: both public keys; info: scheme and context) -> AES-256-GCM key
    -> ciphertext of the value's JSON, with the context as associated data

The context names what the value belongs to (e.g. "kyc.individual_application:<customer id>"),
so a sealed value copied into another message, or onto another customer's record, does not
open. A fresh key per value makes the all-zero nonce safe.

Keys live in the run folder's secrets (infra/secrets.py): each service's opening keys in its
own folder (`seal.keys`, newest first: older keys keep opening what was sealed before a
rotation), and every service's current public key in `public/<service>.seal`, which any
producer may read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import StringConstraints, ValidationError

from schemas.ids import Name
from schemas.message import Struct

Scheme = Literal["x25519-hkdf-sha256-aes256gcm"]
SCHEME: Scheme = "x25519-hkdf-sha256-aes256gcm"
_INFO = b"cnh-sealed-v1"
_NONCE = bytes(12)
MAX_SEALED_BYTES = 48 * 1024
"""Bound of one sealed value (its base64): far above any person's particulars."""

T = TypeVar("T", bound=Struct)

KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
_Base64 = r"^[A-Za-z0-9+/]*={0,2}$"


class Sealed(Struct):
    """A value only `to` can open (the JSON of a Struct, encrypted). Its size is all it
    tells anyone else."""

    scheme: Scheme = SCHEME
    to: Name
    """The service whose key it is sealed to."""
    key_id: KeyId
    """Which of the recipient's keys (a rotation keeps older ones opening)."""
    ephemeral: Annotated[str, StringConstraints(min_length=44, max_length=44, pattern=_Base64)]
    """The sender's one-time public key (32 bytes, base64)."""
    box: Annotated[
        str, StringConstraints(min_length=24, max_length=MAX_SEALED_BYTES, pattern=_Base64)
    ]
    """Ciphertext and tag (base64)."""


SealFailure = Literal["wrong_recipient", "unknown_key", "tampered", "invalid_content"]


class SealError(ValueError):
    """A sealed value that does not open into what it should. The detail names fields and
    error kinds only, never a value: it reaches logs and dead letters."""

    def __init__(self, reason: SealFailure, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: SealFailure = reason
        self.detail = detail


def key_id(public: X25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes_raw()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SealingKey:
    """A recipient's public key: what a producer seals with."""

    recipient: str
    public: X25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def to_text(self) -> str:
        return f"{self.key_id} {_b64(self.public.public_bytes_raw())}\n"

    @classmethod
    def from_text(cls, recipient: str, text: str) -> SealingKey:
        try:
            kid, raw = _key_line(text)
            public = X25519PublicKey.from_public_bytes(raw)
        except ValueError:
            raise ValueError(
                f"{recipient}'s public sealing key is not '<key id> <base64>'"
            ) from None
        if key_id(public) != kid:
            raise ValueError(f"{recipient}'s public sealing key does not match its key id")
        return cls(recipient, public)

    @classmethod
    def load(cls, secrets_root: Path, recipient: str) -> SealingKey:
        path = public_key_path(secrets_root, recipient)
        try:
            return cls.from_text(recipient, path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no public sealing key of {recipient!r} at {path} (make infra-up creates it)"
            ) from None

    def seal(self, value: Struct, context: str) -> Sealed:
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes_raw()
        shared = ephemeral.exchange(self.public)
        key = _derive(shared, ephemeral_public, self.public.public_bytes_raw(), context)
        plaintext = value.model_dump_json().encode()
        box = AESGCM(key).encrypt(_NONCE, plaintext, context.encode())
        return Sealed(
            to=self.recipient, key_id=self.key_id, ephemeral=_b64(ephemeral_public), box=_b64(box)
        )


class OpeningKeys:
    """A service's private keys, newest first: the first seals (its public half is the one
    published), every one opens."""

    def __init__(self, recipient: str, keys: Iterable[X25519PrivateKey]) -> None:
        ordered = list(keys)
        if not ordered:
            raise ValueError(f"{recipient} has no opening key")
        self.recipient = recipient
        self._keys: Mapping[str, X25519PrivateKey] = {key_id(k.public_key()): k for k in ordered}
        self.current = SealingKey(recipient, ordered[0].public_key())

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def to_text(self) -> str:
        return "".join(f"{kid} {_b64(k.private_bytes_raw())}\n" for kid, k in self._keys.items())

    @classmethod
    def from_text(cls, recipient: str, text: str) -> OpeningKeys:
        keys: list[X25519PrivateKey] = []
        for number, line in enumerate(filter(None, map(str.strip, text.splitlines())), 1):
            try:
                kid, raw = _key_line(line)
                key = X25519PrivateKey.from_private_bytes(raw)
            except ValueError:
                raise ValueError(
                    f"line {number} of {recipient}'s opening keys is malformed"
                ) from None
            if key_id(key.public_key()) != kid:
                raise ValueError(f"line {number} of {recipient}'s opening keys: wrong key id")
            keys.append(key)
        return cls(recipient, keys)

    @classmethod
    def load(cls, secrets_dir: Path, recipient: str) -> OpeningKeys:
        path = secrets_dir / OPENING_KEYS_FILE
        try:
            return cls.from_text(recipient, path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no opening keys of {recipient!r} at {path} (make infra-up creates them)"
            ) from None

    def rotated(self) -> OpeningKeys:
        """A new current key, every older one kept for what it sealed."""
        return OpeningKeys(self.recipient, [X25519PrivateKey.generate(), *self._keys.values()])

    def open(self, sealed: Sealed, model: type[T], context: str) -> T:
        if sealed.to != self.recipient:
            raise SealError("wrong_recipient", f"sealed to {sealed.to!r}, not {self.recipient!r}")
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise SealError("unknown_key", f"key {sealed.key_id} is not among the opening keys")
        try:
            ephemeral = base64.b64decode(sealed.ephemeral, validate=True)
            box = base64.b64decode(sealed.box, validate=True)
            shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            derived = _derive(shared, ephemeral, key.public_key().public_bytes_raw(), context)
            plaintext = AESGCM(derived).decrypt(_NONCE, box, context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise SealError(
                "tampered", "does not open: altered, or sealed for another record"
            ) from None
        try:
            # from JSON, as a message is decoded: strict types read their JSON forms (a
            # date's string, a tuple's array), which a decoded Python object would not pass
            return model.model_validate_json(plaintext)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors(include_input=False)):
                raise SealError("invalid_content", "not a JSON document") from None
            raise SealError("invalid_content", _fields(exc)) from None


def generate(recipient: str) -> OpeningKeys:
    return OpeningKeys(recipient, [X25519PrivateKey.generate()])


OPENING_KEYS_FILE = "seal.keys"


def public_key_path(secrets_root: Path, recipient: str) -> Path:
    return secrets_root / "public" / f"{recipient}.seal"


def digest(data: bytes) -> str:
    """What stands for personal data where it may not be kept: logs, dead letters."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes, context: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral + recipient,
        info=_INFO + b"\x00" + SCHEME.encode() + b"\x00" + context.encode(),
    ).derive(shared)


def _fields(exc: ValidationError) -> str:
    # locations and kinds only: pydantic's own message quotes the input
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['type']}"
        for error in exc.errors(include_input=False, include_url=False)
    )[:500]


def _key_line(line: str) -> tuple[str, bytes]:
    """ "<key id> <base64>": the one format of both key files (ValueError otherwise)."""
    kid, encoded = line.split()
    try:
        return kid, base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
