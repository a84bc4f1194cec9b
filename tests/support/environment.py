"""An isolated platform environment on the shared test servers, for service tests.

Every environment has its own topic namespace (the whole registry, 2 partitions each) and
its own database per service, so tests never see each other's messages or rows:

    env = await Environment.create(servers, tmp_path)
    kyc = await env.start("kyc")                     # `python -m services.kyc`, own process
    await env.send("kyc.commands", key, envelope)    # logical topic names
    replies = await env.read("redemption.replies", lambda rs: len(rs) >= 1)
    rows = await env.query("kyc", "SELECT ...")
    await env.close()                                # stops processes, drops topics and DBs
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from infra.kafka.topics import apply, delete_namespace
from schemas import Envelope
from services.runtime.migrate import service_migrations, upgrade_async
from tests.support.kafka import produce, read_until
from tests.support.process import ServiceProcess
from tests.support.servers import Servers

FAST_RETRIES = {
    "CNH_RETRY_INITIAL_BACKOFF_S": "0.01",
    "CNH_RETRY_MAX_BACKOFF_S": "0.2",
    "CNH_RETRY_MAX_ATTEMPTS": "3",
    "CNH_RELAY_POLL_INTERVAL_S": "0.05",
    "CNH_BATCH_TIMEOUT_MS": "10",
}
"""Settings that keep tests quick; every other setting is the production default."""

_templates: dict[str, str] = {}


def with_database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


async def migrated_template(servers: Servers, service: str, *extra: Path) -> str:
    """A database migrated once per test session for `service`, copied by each test."""
    if service not in _templates:
        name = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(servers.postgres_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        folders = [f for f in (service_migrations(service), *extra) if f.is_dir()]
        await upgrade_async(with_database(servers.postgres_dsn, name), *folders)
        _templates[service] = name
    return _templates[service]


async def drop_templates(servers: Servers) -> None:
    for name in _templates.values():
        await drop_database(servers, with_database(servers.postgres_dsn, name))
    _templates.clear()


async def copy_database(servers: Servers, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return with_database(servers.postgres_dsn, name)


async def drop_database(servers: Servers, dsn: str) -> None:
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{dsn.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Environment:
    servers: Servers
    namespace: str
    log_dir: Path
    databases: dict[str, str] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)

    @classmethod
    async def create(cls, servers: Servers, log_dir: Path) -> Environment:
        namespace = f"t{uuid.uuid4().hex[:10]}"
        await apply(
            servers.kafka_bootstrap, False, namespace=namespace, partitions=2, verbose=False
        )
        return cls(servers, namespace, log_dir)

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    async def database(self, service: str, *migrations: Path) -> str:
        """The service's database in this environment (created on first use, migrated with
        the service's own migrations, or `migrations` for a test-only service)."""
        if service not in self.databases:
            template = await migrated_template(self.servers, service, *migrations)
            self.databases[service] = await copy_database(self.servers, template)
        return self.databases[service]

    async def service_env(self, service: str, **overrides: str) -> dict[str, str]:
        return {
            "CNH_SERVICE": service,
            "CNH_KAFKA_BOOTSTRAP": self.servers.kafka_bootstrap,
            "CNH_DATABASE_URL": await self.database(service),
            "CNH_TOPIC_NAMESPACE": self.namespace,
            **FAST_RETRIES,
            **overrides,
        }

    async def start(
        self, service: str, instance: str = "0", *, module: str = "", **overrides: str
    ) -> ServiceProcess:
        """Start `python -m services.<service>` (or `module`) and wait until it consumes."""
        (process,) = await self.start_many([service], instance, module=module, **overrides)
        return process

    async def start_many(
        self, services: Sequence[str], instance: str = "0", *, module: str = "", **overrides: str
    ) -> list[ServiceProcess]:
        """Start several services at once (they boot in parallel), then wait for all."""
        started = []
        for service in services:
            env = await self.service_env(service, CNH_INSTANCE=instance, **overrides)
            log = self.log_dir / f"{service}-{instance}-{len(self.processes)}.log"
            process = ServiceProcess(module or f"services.{service}", env, log)
            self.processes.append(process)
            started.append(process.start())
        for process in started:
            await process.wait_started()
        return started

    async def send(self, topic: str, key: str | bytes | None, *envelopes: Envelope[Any]) -> None:
        raw_key = key.encode() if isinstance(key, str) else key
        await produce(
            self.servers.kafka_bootstrap,
            self.topic(topic),
            [(raw_key, e.to_bytes()) for e in envelopes],
        )

    async def send_raw(self, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
        await produce(self.servers.kafka_bootstrap, self.topic(topic), records)

    async def read(
        self,
        topic: str,
        done: Callable[[list[ConsumerRecord]], bool],
        timeout_s: float = 60.0,
    ) -> list[ConsumerRecord]:
        return await read_until(self.servers.kafka_bootstrap, self.topic(topic), done, timeout_s)

    async def query(self, service: str, sql: str, *args: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(await self.database(service))
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    async def close(self) -> None:
        for process in self.processes:
            process.stop()
        for dsn in self.databases.values():
            await drop_database(self.servers, dsn)
        await delete_namespace(self.servers.kafka_bootstrap, self.namespace)

    def logs(self) -> str:
        return "\n\n".join(f"--- {p.log_path.name}\n{p.log_tail()}" for p in self.processes)
