"""An isolated platform environment on the shared test servers, for service tests.

Every environment has its own topic namespace (the whole registry, 2 partitions each, with
the registry's ACLs) and its own database per service (owned by the service's login, closed
to PUBLIC), so tests never see each other's messages or rows. A test sends as the topic's
registered writer and reads as the operator, as the tools do:

    env = await Environment.create(servers, tmp_path)
    kyc = await env.start("kyc")                     # `python -m services.kyc`, own process
    await env.send("kyc.commands", key, envelope)    # logical topic names
    replies = await env.read("redemption.replies", lambda rs: len(rs) >= 1)
    rows = await env.query("kyc", "SELECT ...")
    code, out, err = await env.cli("kyc", ...)       # an operator's tool, `services.kyc.cli`
    await env.close()                                # stops processes, drops topics and DBs
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from infra.kafka import acls
from infra.kafka.topics import apply, delete_namespace
from schemas import Envelope
from schemas.principals import BY_NAME as PRINCIPALS
from schemas.principals import READ_ONLY_ROLE
from services.runtime.migrate import service_migrations, upgrade_async
from tests.support.bank import BankProcess
from tests.support.database import query, query_until
from tests.support.kafka import produce, read_until
from tests.support.principals import ensure_test_principal
from tests.support.process import ServiceProcess, logs, run_module
from tests.support.servers import Servers

FAST_RETRIES = {
    "CNH_RETRY_INITIAL_BACKOFF_S": "0.01",
    "CNH_RETRY_MAX_BACKOFF_S": "0.2",
    "CNH_RETRY_MAX_ATTEMPTS": "3",
    "CNH_RELAY_POLL_INTERVAL_S": "0.05",
}
"""Settings that keep tests quick; every other setting is the production default."""

_templates: dict[str, str] = {}


def database_name(dsn: str) -> str:
    return dsn.split("?", 1)[0].rpartition("/")[2]


async def login_of(servers: Servers, service: str) -> str:
    """The PostgreSQL login that owns `service`'s databases (a test-only service gets one)."""
    known = PRINCIPALS.get(service)
    if known and known.postgres_role:
        return known.postgres_role
    await ensure_test_principal(servers, service)
    return service


async def _admin(servers: Servers, *statements: str) -> None:
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


async def migrated_template(servers: Servers, service: str, *extra: Path) -> str:
    """A database migrated once per test session for `service`, copied by each test."""
    if service not in _templates:
        name = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
        login = await login_of(servers, service)
        await _admin(servers, f'CREATE DATABASE "{name}" OWNER "{login}"')
        folders = [f for f in (service_migrations(service), *extra) if f.is_dir()]
        await upgrade_async(servers.dsn(name, login), *folders)
        _templates[service] = name
    return _templates[service]


async def drop_templates(servers: Servers) -> None:
    for name in _templates.values():
        await drop_database(servers, servers.dsn(name))
    _templates.clear()


async def copy_database(servers: Servers, template: str, service: str) -> str:
    """A copy of `template`, owned by the service's login and closed to PUBLIC, as
    infra/postgres/pg.sh makes a service's database; returns the service's DSN to it."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    login = await login_of(servers, service)
    await _admin(
        servers,
        f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER "{login}"',
        f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
        f'GRANT CONNECT ON DATABASE "{name}" TO "{READ_ONLY_ROLE}"',
    )
    return servers.dsn(name, login)


async def drop_database(servers: Servers, dsn: str) -> None:
    await _admin(servers, f'DROP DATABASE IF EXISTS "{database_name(dsn)}" WITH (FORCE)')


@dataclass
class Environment:
    servers: Servers
    namespace: str
    log_dir: Path
    databases: dict[str, str] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)
    bank: BankProcess | None = None
    """The simulated bank settlement pays through, started with settlement (`start_bank`)."""

    @classmethod
    async def create(cls, servers: Servers, log_dir: Path) -> Environment:
        namespace = f"t{uuid.uuid4().hex[:10]}"
        await apply(servers.admin, False, namespace=namespace, partitions=2, verbose=False)
        await acls.grant_namespace(servers.admin, namespace)
        return cls(servers, namespace, log_dir)

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    async def database(self, service: str, *migrations: Path) -> str:
        """The service's database in this environment (created on first use, migrated with
        the service's own migrations, or `migrations` for a test-only service; the bank's
        empty: the bank migrates it at its start, without the runtime's tables)."""
        if service == "bank" and service not in self.databases:
            self.databases[service] = await copy_database(self.servers, "template0", service)
        if service not in self.databases:
            template = await migrated_template(self.servers, service, *migrations)
            self.databases[service] = await copy_database(self.servers, template, service)
        return self.databases[service]

    async def service_env(self, service: str, **overrides: str) -> dict[str, str]:
        bank = {"CNH_SETTLEMENT_BANK_URL": self.bank.url} if self.bank else {}
        return {
            "CNH_SERVICE": service,
            "CNH_KAFKA_BOOTSTRAP": self.servers.kafka_bootstrap,
            "CNH_SECRETS_ROOT": str(self.servers.secrets_root),
            "CNH_DATABASE_URL": await self.database(service),
            "CNH_TOPIC_NAMESPACE": self.namespace,
            **FAST_RETRIES,
            **bank,
            **overrides,
        }

    async def start_bank(self, **overrides: str) -> BankProcess:
        """The simulated bank of this environment (its own database, this namespace's
        topics), started once: the outside system settlement pays through. `overrides`:
        its CNH_BANK_* settings."""
        bank = await self._launch_bank(**overrides)
        await bank.ready()
        return bank

    async def _launch_bank(self, **overrides: str) -> BankProcess:
        """The bank's process started (its address known), not yet waited for."""
        if self.bank is None:
            env = await self.service_env("bank")
            env = {k: v for k, v in env.items() if k != "CNH_SERVICE"}
            log = self.log_dir / f"bank-{len(self.processes)}.log"
            self.bank = BankProcess.of(self.servers.secrets_root, {**env, **overrides}, log)
            self.processes.append(self.bank.process)
            self.bank.process.start()
        return self.bank

    async def start(
        self, service: str, instance: str = "0", *, module: str = "", **overrides: str
    ) -> ServiceProcess:
        """Start `python -m services.<service>` (or `module`) and wait until it consumes."""
        (process,) = await self.start_many([service], instance, module=module, **overrides)
        return process

    async def start_many(
        self, services: Sequence[str], instance: str = "0", *, module: str = "", **overrides: str
    ) -> list[ServiceProcess]:
        """Start several services at once (they boot in parallel), then wait for all.
        Settlement's bank boots beside them if it is not started yet, with the CNH_BANK_*
        settings of `overrides` (settlement needs only its address to start)."""
        bank = None
        if "settlement" in services:
            bank = await self._launch_bank(
                **{k: v for k, v in overrides.items() if k.startswith("CNH_BANK_")}
            )
        started = []
        for service in services:
            env = await self.service_env(service, CNH_INSTANCE=instance, **overrides)
            log = self.log_dir / f"{service}-{instance}-{len(self.processes)}.log"
            process = ServiceProcess(module or f"services.{service}", env, log)
            self.processes.append(process)
            started.append(process.start())
        for process in started:
            await process.wait_started()
        if bank is not None:
            await bank.ready()
        return started

    async def send(self, topic: str, key: str | bytes | None, *envelopes: Envelope[Any]) -> None:
        """Send as the topic's registered writer (the part the test plays)."""
        raw_key = key.encode() if isinstance(key, str) else key
        await produce(
            self.servers.writer_of(topic),
            self.topic(topic),
            [(raw_key, e.to_bytes()) for e in envelopes],
        )

    async def send_raw(self, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
        await produce(self.servers.writer_of(topic), self.topic(topic), records)

    async def read(
        self,
        topic: str,
        done: Callable[[list[ConsumerRecord]], bool],
        timeout_s: float = 60.0,
    ) -> list[ConsumerRecord]:
        return await read_until(self.servers.reader, self.topic(topic), done, timeout_s)

    async def cli(self, service: str, *args: str) -> tuple[int, str, str]:
        """`python -m services.<service>.cli args...` against this environment, as an
        operator runs it: (exit code, stdout, stderr)."""
        env = {**os.environ, **await self.service_env(service)}
        return await run_module(f"services.{service}.cli", *args, env=env)

    async def query(self, service: str, sql: str, *args: object) -> list[asyncpg.Record]:
        return await query(await self.database(service), sql, *args)

    async def query_until(
        self,
        service: str,
        sql: str,
        done: Callable[[list[asyncpg.Record]], bool],
        *args: object,
        timeout_s: float = 60.0,
    ) -> list[asyncpg.Record]:
        """The rows of `sql` in `service`'s database once `done` holds for them."""
        dsn = await self.database(service)
        return await query_until(dsn, sql, done, *args, timeout_s=timeout_s, context=self.logs)

    async def close(self) -> None:
        for process in self.processes:
            process.stop()
        for dsn in self.databases.values():
            await drop_database(self.servers, dsn)
        await delete_namespace(self.servers.admin, self.namespace)

    def logs(self) -> str:
        return logs(self.processes)
