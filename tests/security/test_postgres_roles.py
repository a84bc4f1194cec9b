"""PostgreSQL lets each login into its own database only: password authentication, no
`trust`, every service database owned by its service and closed to PUBLIC, and the tools'
login reads without writing."""

from __future__ import annotations

import asyncpg
import pytest

from schemas.principals import READ_ONLY_ROLE, SERVICES
from tests.support.environment import Environment, database_name
from tests.support.servers import Servers

pytestmark = pytest.mark.integration


async def test_no_line_of_the_host_based_authentication_trusts_anyone(servers: Servers) -> None:
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        methods = {r["auth_method"] for r in await admin.fetch("SELECT * FROM pg_hba_file_rules")}
        encryption = await admin.fetchval("SHOW password_encryption")
    finally:
        await admin.close()
    assert methods == {"scram-sha-256"}
    assert encryption == "scram-sha-256"


async def test_a_wrong_password_or_an_unknown_login_cannot_connect(servers: Servers) -> None:
    host, _, port = servers.postgres_address.partition(":")
    for user, password in (("kyc", "not-the-password"), ("nobody", "guess"), ("postgres", "")):
        with pytest.raises(
            (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
        ):
            await asyncpg.connect(
                host=host, port=int(port), user=user, password=password, database="postgres"
            )


async def test_a_service_login_cannot_open_another_services_database(
    platform: Environment,
) -> None:
    databases = {s: database_name(await platform.database(s)) for s in SERVICES}
    opened, refused = [], []
    for login in SERVICES:
        for owner, database in databases.items():
            try:
                connection = await asyncpg.connect(platform.servers.dsn(database, login))
            except asyncpg.InsufficientPrivilegeError:
                refused.append((login, owner))
                continue
            await connection.close()
            opened.append((login, owner))
    assert sorted(opened) == sorted((s, s) for s in SERVICES)
    assert len(refused) == len(SERVICES) * (len(SERVICES) - 1)


async def test_each_database_belongs_to_its_service_and_is_closed_to_public(
    platform: Environment,
) -> None:
    for service in SERVICES:
        dsn = await platform.database(service)
        connection = await asyncpg.connect(dsn)
        try:
            database = await connection.fetchrow(
                """
                SELECT pg_get_userbyid(datdba),
                       has_database_privilege('public', datname, 'CONNECT')
                  FROM pg_database WHERE datname = current_database()
                """
            )
            assert database is not None
            owner, public_connect = database
            foreign = await connection.fetch(
                """
                SELECT tablename FROM pg_tables
                 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
                   AND tableowner <> $1
                """,
                service,
            )
        finally:
            await connection.close()
        assert owner == service
        assert public_connect is False
        assert foreign == [], f"{service}: tables owned by another login"


async def test_the_tools_login_reads_every_service_database_and_writes_none(
    platform: Environment,
) -> None:
    for service in SERVICES:
        database = database_name(await platform.database(service))
        connection = await asyncpg.connect(platform.servers.dsn(database, READ_ONLY_ROLE))
        try:
            assert await connection.fetchval("SELECT count(*) FROM outbox") >= 0
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("DELETE FROM outbox")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("CREATE TABLE intruder (x int)")
        finally:
            await connection.close()
