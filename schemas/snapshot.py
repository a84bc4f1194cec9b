"""The committed JSON Schema snapshots of every message envelope, and their gate.

    python -m schemas.snapshot --check   # CI: fails on a breaking change or a missing snapshot
    python -m schemas.snapshot --write   # after a compatible change: commit the new files

A snapshot is `snapshots/<type>.v<VERSION>.json`. A breaking change keeps the old file and
bumps `VERSION` (a new file), so that the change and its migration are reviewed together.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from schemas.compat import check_backward_compatible, load_all_contracts
from schemas.envelope import envelope_model
from schemas.message import Message

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
_WRITE = "python -m schemas.snapshot --write"
_FILE_NAME = re.compile(r"^(?P<type>.+)\.v(?P<version>[0-9]+)\.json$")


def snapshot_name(message_class: type[Message]) -> str:
    return f"{message_class.TYPE}.v{message_class.VERSION}.json"


def current_schema(message_class: type[Message]) -> dict[str, Any]:
    """What travels on the wire: the envelope with this message as its payload."""
    return envelope_model(message_class).model_json_schema()


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def check_snapshots(
    contracts: Mapping[str, type[Message]] | None = None, directory: Path = SNAPSHOT_DIR
) -> list[str]:
    """Every problem between the registered messages and the snapshots; empty means all good."""
    contracts = load_all_contracts() if contracts is None else contracts
    problems: list[str] = []
    for type_name, cls in sorted(contracts.items()):
        path = directory / snapshot_name(cls)
        if not path.is_file():
            problems.append(f"{type_name}: no snapshot {path.name}; run {_WRITE}")
            continue
        committed = path.read_text(encoding="utf-8")
        schema = current_schema(cls)
        breaking = check_backward_compatible(json.loads(committed), schema)
        problems.extend(f"{type_name} v{cls.VERSION}: {problem}" for problem in breaking)
        if not breaking and committed != render(schema):
            problems.append(f"{type_name}: {path.name} is out of date (compatible); run {_WRITE}")
    for path in sorted(directory.glob("*.json")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            problems.append(f"{path.name}: not a snapshot name (<type>.v<version>.json)")
        elif match["type"] not in contracts:
            problems.append(f"{path.name}: no registered message has this type (removed?)")
        elif int(match["version"]) > contracts[match["type"]].VERSION:
            problems.append(f"{path.name}: newer than {match['type']} VERSION (lowered?)")
    return problems


def write_snapshots(
    contracts: Mapping[str, type[Message]] | None = None,
    directory: Path = SNAPSHOT_DIR,
    *,
    force: bool = False,
) -> tuple[list[str], list[str]]:
    """Write the snapshot of every message; returns (files written, problems refused).

    An existing snapshot is only replaced by a compatible schema, unless `force`.
    """
    contracts = load_all_contracts() if contracts is None else contracts
    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    refused: list[str] = []
    for type_name, cls in sorted(contracts.items()):
        path = directory / snapshot_name(cls)
        text = render(current_schema(cls))
        if path.is_file():
            committed = path.read_text(encoding="utf-8")
            if committed == text:
                continue
            breaking = check_backward_compatible(json.loads(committed), json.loads(text))
            if breaking:
                advice = _advice(cls)
                listed = [f"{type_name}: {problem}" for problem in breaking]
                if not force:
                    refused.extend([*listed, f"{type_name}: refused; {advice}"])
                    continue
                print(f"{type_name}: overwritten despite:\n  " + "\n  ".join(listed))
                print(f"{type_name}: {advice}", file=sys.stderr)
        path.write_text(text, encoding="utf-8")
        written.append(path.name)
    return written, refused


def _advice(cls: type[Message]) -> str:
    return (
        f"this change breaks {snapshot_name(cls)}: set {cls.__qualname__}.VERSION = "
        f"{cls.VERSION + 1} (a new snapshot) with a migration plan instead of --force"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.snapshot", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail on any snapshot problem")
    mode.add_argument("--write", action="store_true", help="write the snapshots")
    parser.add_argument("--force", action="store_true", help="with --write: overwrite anyway")
    parser.add_argument("--dir", type=Path, default=SNAPSHOT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.force and not args.write:
        parser.error("--force only applies to --write")
    if args.check:
        problems = check_snapshots(directory=args.dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} snapshot problem(s)" if problems else "snapshots OK")
        return 1 if problems else 0
    written, refused = write_snapshots(directory=args.dir, force=args.force)
    for name in written:
        print(f"wrote {name}")
    for problem in refused:
        print(problem, file=sys.stderr)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
