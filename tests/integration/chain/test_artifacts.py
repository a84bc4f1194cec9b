"""The committed ABI and bytecode are what the pinned solc-js compiles the sources to."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.chain import compile as solc

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def compiled() -> list[solc.Artifact]:
    return solc.compile_sources()


def test_compiling_again_gives_the_committed_bytes(compiled: list[solc.Artifact]) -> None:
    assert [a.name for a in compiled] == ["XCNH"]
    assert solc.differences(compiled) == []


def test_a_changed_byte_is_found(compiled: list[solc.Artifact], tmp_path: Path) -> None:
    artifact = compiled[0]
    solc.write([artifact], tmp_path)
    assert solc.differences([artifact], tmp_path) == []
    changed = solc.Artifact(
        artifact.name, artifact.abi, artifact.bytecode[:-2] + "00", artifact.runtime
    )
    assert solc.differences([changed], tmp_path) == ["XCNH.bin"]
