"""Every service's migrations (and the simulated bank's) form one line: branches merged in
parallel must be re-chained, or Alembic upgrades to two heads and their order is nobody's
decision."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
# the services' and the simulated bank's: each has a database of its own
FOLDERS = ("services/*/migrations", "services/*/migrations/versions", "simulators/*/migrations")
CHAINS = sorted(p for pattern in FOLDERS for p in ROOT.glob(pattern) if any(p.glob("*_0001_*.py")))


def _revisions(folder: Path) -> dict[str, str | None]:
    """revision -> down_revision of every migration file in `folder`."""
    chain: dict[str, str | None] = {}
    for path in sorted(folder.glob("*_[0-9][0-9][0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        chain[module.revision] = module.down_revision
    return chain


@pytest.mark.parametrize("folder", CHAINS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_migrations_of_a_service_are_one_line_in_file_order(folder: Path) -> None:
    chain = _revisions(folder)
    ordered = list(chain)
    assert chain[ordered[0]] is None
    for parent, child in itertools.pairwise(ordered):
        assert chain[child] == parent, f"{child} follows {chain[child]}, not {parent}"
