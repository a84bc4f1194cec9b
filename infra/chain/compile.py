"""Compiles the token's Solidity with the pinned solc-js, reproducibly, and checks that the
committed artifacts are what the sources compile to:

    python -m infra.chain.compile          # write contracts/artifacts/ (make contracts)
    python -m infra.chain.compile --check  # exit 1 if compiling again gives other bytes

The settings are fixed (optimizer runs, EVM version, no metadata hash), so the same sources
give the same bytes on any machine: what is deployed is what is committed and reviewed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
ARTIFACTS = CONTRACTS / "artifacts"
SOLC_VERSION = "0.8.37"
SOURCES = ("XCNH.sol",)
SETTINGS = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "prague",
    # no IPFS/Swarm hash of the metadata: a comment or a path would change the bytes
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


@dataclass(frozen=True, slots=True)
class Artifact:
    """One compiled contract: its ABI and its creation and runtime code (hex, no 0x)."""

    name: str
    abi: list[dict[str, object]]
    bytecode: str
    runtime: str

    def files(self) -> dict[str, str]:
        return {
            f"{self.name}.abi.json": json.dumps(self.abi, indent=2, sort_keys=True) + "\n",
            f"{self.name}.bin": self.bytecode + "\n",
            f"{self.name}.bin-runtime": self.runtime + "\n",
        }


def compile_sources() -> list[Artifact]:
    node = shutil.which("node")
    if node is None:
        sys.exit("node is required to compile the contracts (solc-js)")
    if not (ROOT / "node_modules" / "solc").is_dir():
        sys.exit("solc-js is not installed: run `make contracts` (npm ci)")
    standard = {
        "language": "Solidity",
        "sources": {name: {"content": (CONTRACTS / name).read_text()} for name in SOURCES},
        "settings": SETTINGS,
    }
    done = subprocess.run(
        [node, str(CONTRACTS / "solc.cjs"), SOLC_VERSION],
        input=json.dumps(standard),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        sys.exit("\n".join(e["formattedMessage"] for e in errors))
    compiled = [(n, c) for s in SOURCES for n, c in output["contracts"][s].items()]
    return [
        Artifact(
            n, c["abi"], c["evm"]["bytecode"]["object"], c["evm"]["deployedBytecode"]["object"]
        )
        for n, c in compiled
    ]


def differences(artifacts: list[Artifact], folder: Path = ARTIFACTS) -> list[str]:
    """The committed files that differ from what the sources compile to (names)."""
    differ = []
    for artifact in artifacts:
        for name, text in artifact.files().items():
            path = folder / name
            if not path.is_file() or path.read_text() != text:
                differ.append(name)
    return differ


def write(artifacts: list[Artifact], folder: Path = ARTIFACTS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        for name, text in artifact.files().items():
            (folder / name).write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    artifacts = compile_sources()
    if not args.check:
        write(artifacts)
        print(f"contracts: compiled {', '.join(a.name for a in artifacts)} into {ARTIFACTS}")
        return
    differ = differences(artifacts)
    if differ:
        sys.exit(
            f"contracts: {', '.join(differ)} differ from what solc {SOLC_VERSION} compiles "
            "the sources to: run `make contracts` and commit contracts/artifacts/"
        )
    print(f"contracts: the committed artifacts are what solc {SOLC_VERSION} compiles")


if __name__ == "__main__":
    main()
