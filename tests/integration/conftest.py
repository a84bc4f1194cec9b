"""Fixtures for tests against the real Kafka broker and PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.environment import (
    Environment,
    copy_database,
    drop_database,
    migrated_template,
)
from tests.support.servers import Servers


@pytest.fixture
async def counter_db(servers: Servers) -> AsyncIterator[str]:
    """A fresh database of the test-only counter service (runtime + counter tables)."""
    from tests.support.counter.service import MIGRATIONS

    dsn = await copy_database(servers, await migrated_template(servers, "counter", MIGRATIONS))
    yield dsn
    await drop_database(servers, dsn)


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Environment]:
    """An isolated environment: its own topic namespace and service databases."""
    environment = await Environment.create(servers, tmp_path)
    try:
        yield environment
    finally:
        await environment.close()
