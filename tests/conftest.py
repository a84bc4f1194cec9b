"""Settings shared by every test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.environment import Environment, drop_templates
from tests.support.servers import Servers, find_servers

# In CI, property tests replay the same examples every run: a failure found there is a
# defect to fix, never a flake that passes on the next try. Locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[Servers]:
    # No skip: a missing server fails every test that needs it, with the reason.
    with find_servers() as found:
        yield found
        await drop_templates(found)


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Environment]:
    """An isolated environment: its own topic namespace and service databases."""
    environment = await Environment.create(servers, tmp_path)
    try:
        yield environment
    finally:
        await environment.close()
