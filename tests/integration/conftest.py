"""Fixtures for tests against the real Kafka broker and PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from services.runtime.migrate import upgrade_async
from tests.support.servers import Servers, find_servers


def with_database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    # No skip: a missing server fails every test that needs it, with the reason.
    with find_servers() as found:
        yield found


@pytest.fixture(scope="session")
async def counter_template(servers: Servers) -> AsyncIterator[str]:
    """A database migrated once (runtime + counter service) that each test copies."""
    from tests.support.counter.service import MIGRATIONS

    name = f"tmpl_counter_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await upgrade_async(with_database(servers.postgres_dsn, name), MIGRATIONS)
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def counter_db(servers: Servers, counter_template: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{counter_template}"')
        yield with_database(servers.postgres_dsn, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
