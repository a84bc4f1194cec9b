"""KYC's at-rest key ring: read from its secrets folder (the first key active), the
published development key only in development, and production refuses to start with it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.sealed import OPENING_KEYS_FILE, generate
from services.kyc.crypto import KeyRingError
from services.kyc.settings import DEVELOPMENT_KEY_ID, DEVELOPMENT_KEYS, KycSettings
from services.kyc.wiring import development_key_in_use, records_keyring, terms_from

NEW = base64.b64encode(b"n" * 32).decode()
OLD = base64.b64encode(b"o" * 32).decode()


def settings(secrets: Path, **more: str) -> KycSettings:
    return KycSettings(service="kyc", secrets_dir=str(secrets), **more)  # type: ignore[arg-type]


def test_the_ring_comes_from_the_secrets_folder_newest_first(tmp_path: Path) -> None:
    (tmp_path / "records.keys").write_text(f"k2:{NEW}\nk1:{OLD}\n")
    ring = records_keyring(settings(tmp_path, environment="production"))
    assert ring.active_key_id == "k2"
    assert ring.key_ids == {"k1", "k2"}


def test_without_a_ring_development_uses_the_published_key(tmp_path: Path) -> None:
    (tmp_path / OPENING_KEYS_FILE).write_text(generate("kyc").to_text())
    terms = terms_from(settings(tmp_path))
    assert development_key_in_use(terms)
    assert terms.keyring.active_key_id == DEVELOPMENT_KEY_ID


@pytest.mark.parametrize("configured", ["none", "in the ring", "renamed"])
def test_production_refuses_the_published_key(tmp_path: Path, configured: str) -> None:
    more = {"environment": "production"}
    if configured == "in the ring":  # even as an old key kept to read old rows
        more["kyc_encryption_keys"] = f"k1:{NEW},{DEVELOPMENT_KEYS}"
    if configured == "renamed":  # the published key is its bytes, whatever its id
        more["kyc_encryption_keys"] = "k1:" + DEVELOPMENT_KEYS.split(":", 1)[1]
    with pytest.raises(KeyRingError, match="production refuses the published development key"):
        records_keyring(settings(tmp_path, **more))


def test_the_service_exits_with_a_clear_error_in_production(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CNH_ENVIRONMENT": "production",
        "CNH_SECRETS_DIR": str(tmp_path),
        "CNH_KYC_ENCRYPTION_KEYS": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.kyc"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "production refuses the published development key" in done.stderr
