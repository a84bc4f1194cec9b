"""Fixtures for tests against the real Kafka broker and PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.environment import copy_database, drop_database, migrated_template
from tests.support.servers import Servers


@pytest.fixture
async def counter_db(servers: Servers) -> AsyncIterator[str]:
    """A fresh database of the test-only counter service (runtime + counter tables)."""
    from tests.support.counter.service import MIGRATIONS

    dsn = await copy_database(
        servers, await migrated_template(servers, "counter", MIGRATIONS), "counter"
    )
    yield dsn
    await drop_database(servers, dsn)
