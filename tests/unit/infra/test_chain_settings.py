"""The local chain's defaults are stated in three places (the Makefile, the node's script and
infra/chain/settings.py); they agree, and the chain id is the one holders sign for."""

from __future__ import annotations

import re
from pathlib import Path

from infra.chain import settings
from schemas.signing import DEFAULT_CHAIN_ID

ROOT = Path(__file__).resolve().parents[3]


def default_in(path: str, pattern: str) -> int:
    found = re.search(pattern, (ROOT / path).read_text(), re.MULTILINE)
    assert found, f"no default matching {pattern!r} in {path}"
    return int(found.group(1))


def test_the_makefile_the_node_script_and_the_settings_agree() -> None:
    expected = {
        "ANVIL_PORT": settings.DEFAULT_ANVIL_PORT,
        "CHAIN_ID": DEFAULT_CHAIN_ID,
        "CHAIN_BLOCK_TIME": settings.DEFAULT_BLOCK_TIME,
    }
    for name, value in expected.items():
        assert default_in("Makefile", rf"^{name}\s*\?=\s*(\d+)") == value, name
        assert default_in("infra/chain/anvil.sh", rf"^{name}=\$\{{{name}:-(\d+)\}}") == value, name
    assert default_in("Makefile", r"^CHAIN_CONFIRMATIONS\s*\?=\s*(\d+)") == (
        settings.DEFAULT_CONFIRMATIONS
    )


def test_the_local_chain_is_not_the_id_every_dev_node_answers_to() -> None:
    assert DEFAULT_CHAIN_ID != 31337
