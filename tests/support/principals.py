"""Test-only principals: a login on Kafka and PostgreSQL for a service that exists only in
tests (the counter), with ACLs on its own topics. Made once per test session, by the admin,
the way `make topics` makes the registry's principals."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg

from infra.kafka.acls import BrokerSecurity, Grant
from infra.secrets import write_secret
from tests.support.servers import Servers

TEST_TOPIC_PREFIX = "test"
"""Topics the tests create for a test-only service start with this (tests/support/kafka.py
`unique_topic`, the counter's namespaces); the environments' namespaces ("t" + hex) never
do."""

_made: set[str] = set()


async def ensure_test_principal(servers: Servers, name: str) -> None:
    """`name` may log in to Kafka and PostgreSQL (CREATEDB: it makes its own scratch
    databases), read and write the `test` topics and use the `<name>-` groups."""
    if name in _made:
        return
    folder = servers.secrets_root / name
    folder.mkdir(mode=0o700, exist_ok=True)
    kafka_password, pg_password = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    write_secret(folder / "kafka.password", kafka_password.encode())
    write_secret(folder / "pgpass", f"*:*:*:{name}:{pg_password}\n".encode())
    (folder / "ca.pem").write_bytes((servers.secrets_root / "ca.pem").read_bytes())
    security = BrokerSecurity(servers.admin)
    await asyncio.to_thread(security.set_passwords, {name: kafka_password})
    await asyncio.to_thread(
        security.create,
        [
            Grant(name, "READ", "topic", TEST_TOPIC_PREFIX, "prefixed"),
            Grant(name, "WRITE", "topic", TEST_TOPIC_PREFIX, "prefixed"),
            Grant(name, "READ", "group", f"{name}-", "prefixed"),
        ],
    )
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
        verb = "ALTER" if exists else "CREATE"
        await admin.execute(f"{verb} ROLE \"{name}\" LOGIN CREATEDB PASSWORD '{pg_password}'")
    finally:
        await admin.close()
    _made.add(name)
