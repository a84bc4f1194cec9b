"""Fixtures for tests against the real Kafka broker and PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.environment import (
    Environment,
    copy_database,
    drop_database,
    drop_templates,
    migrated_template,
)
from tests.support.servers import Servers, find_servers


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    # No skip: a missing server fails every test that needs it, with the reason.
    with find_servers() as found:
        yield found


@pytest.fixture(scope="session", autouse=True)
async def _drop_templates_at_exit(servers: Servers) -> AsyncIterator[None]:
    yield
    await drop_templates(servers)


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
