"""The platform under test: every service as its own process (REPLICAS each), in its own
topic namespace (the registry's partition counts, 8 per topic) and its own databases on
the local servers, so that a benchmark never touches the data of `make up`'s platform.
Every setting is the production default (the test environment's fast-retry overrides
are put back to the defaults)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.profile import cpu_seconds
from clients.invariants import Deployment
from infra.kafka import acls
from infra.kafka.topics import apply
from schemas.principals import SERVICES
from services.runtime.access import KafkaLogins
from services.runtime.settings import ServiceSettings
from tests.support.environment import FAST_RETRIES, Environment, drop_templates
from tests.support.process import ServiceProcess
from tests.support.servers import Servers

_FIELD_OF = {f"CNH_{name.upper()}": name for name in ServiceSettings.model_fields}
PRODUCTION_DEFAULTS = {
    variable: str(ServiceSettings.model_fields[_FIELD_OF[variable]].default)
    for variable in FAST_RETRIES
}


@dataclass
class Stack:
    env: Environment
    replicas: int = 0

    @classmethod
    async def create(cls, servers: Servers, log_dir: Path) -> Stack:
        namespace = f"bench{uuid.uuid4().hex[:8]}"
        await apply(servers.admin, False, namespace=namespace, verbose=False)
        await acls.grant_namespace(servers.admin, namespace)
        return cls(Environment(servers, namespace, log_dir))

    @property
    def kafka(self) -> KafkaLogins:
        return self.env.servers.kafka

    @property
    def namespace(self) -> str:
        return self.env.namespace

    async def start(self, replicas: int) -> None:
        """Start `replicas` processes per service (stopping any running ones first)."""
        self.stop()
        for instance in range(replicas):
            await self.env.start_many(SERVICES, str(instance), **PRODUCTION_DEFAULTS)
        self.replicas = replicas

    def stop(self) -> None:
        for process in self.env.processes:
            process.stop()
        self.env.processes.clear()
        self.env.bank = None  # started again with the services, on its own database
        self.replicas = 0

    def processes(self) -> dict[str, list[ServiceProcess]]:
        found: dict[str, list[ServiceProcess]] = {}
        for process in self.env.processes:
            name = process.module.removeprefix("services.").removeprefix("simulators.")
            found.setdefault(name, []).append(process)
        return found

    def pids(self) -> dict[str, int]:
        """ "<service>-<n>" -> pid of each running process."""
        found = {}
        for service, processes in self.processes().items():
            for n, process in enumerate(processes):
                if process.process is not None and process.process.poll() is None:
                    found[f"{service}-{n}"] = process.process.pid
        return found

    def cpu(self) -> dict[str, float]:
        """CPU seconds each running process has used so far."""
        return {name: cpu_seconds(pid) for name, pid in self.pids().items()}

    def close_processes(self) -> None:
        self.stop()

    async def deployment(self) -> Deployment:
        databases = {service: await self.env.database(service) for service in SERVICES}
        return Deployment(databases, self.env.servers.reader, self.namespace)

    async def close(self) -> None:
        if os.environ.get("BENCH_KEEP"):  # for a look at the databases afterwards
            self.stop()
            return
        await self.env.close()
        await drop_templates(self.env.servers)  # the migrated copies the databases came from
