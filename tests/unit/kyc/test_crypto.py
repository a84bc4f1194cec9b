"""Personal data at rest: AES-256-GCM with a rotating key ring."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from services.kyc.crypto import KeyRing, KeyRingError

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def test_a_sealed_record_opens_and_names_its_key() -> None:
    ring = KeyRing.parse(f"k1:{OLD}", "k1")
    sealed = ring.seal(b"Chan Tai Man", b"customer-1")
    assert sealed.key_id == "k1"
    assert b"Chan Tai Man" not in sealed.blob
    assert ring.open(sealed, b"customer-1") == b"Chan Tai Man"


def test_after_rotation_old_records_stay_readable_and_new_ones_use_the_active_key() -> None:
    before = KeyRing.parse(f"k1:{OLD}", "k1").seal(b"old", b"c")
    rotated = KeyRing.parse(f"k1:{OLD},k2:{NEW}", "k2")
    after = rotated.seal(b"new", b"c")
    assert after.key_id == "k2"
    assert rotated.open(before, b"c") == b"old"
    assert rotated.open(after, b"c") == b"new"
    with pytest.raises(KeyRingError):
        KeyRing.parse(f"k2:{NEW}", "k2").open(before, b"c")  # k1 retired too early


def test_a_ciphertext_does_not_open_on_another_row_or_when_tampered() -> None:
    ring = KeyRing.parse(f"k1:{OLD}", "k1")
    sealed = ring.seal(b"secret", b"customer-1")
    with pytest.raises(InvalidTag):
        ring.open(sealed, b"customer-2")
    tampered = type(sealed)(sealed.key_id, sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        ring.open(tampered, b"customer-1")


@pytest.mark.parametrize(
    ("spec", "active"),
    [
        (f"k1:{OLD}", "k2"),  # active key missing
        ("k1:" + base64.b64encode(b"short").decode(), "k1"),  # not AES-256
        ("k1:not base64!", "k1"),
        ("no-separator", "k1"),
    ],
)
def test_an_unusable_key_ring_is_refused(spec: str, active: str) -> None:
    with pytest.raises(KeyRingError):
        KeyRing.parse(spec, active)
