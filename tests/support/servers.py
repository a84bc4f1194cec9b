"""Finds the Kafka broker and PostgreSQL server the integration tests run against.

Order (design section 7): servers named by environment variables; containers through
testcontainers where asked for; else the local servers `make infra-up` started. A server
that cannot be reached is a test failure, never a skip.

Security is on for every test (design section 8): the broker takes SASL_SSL logins of the
run folder's principals (CNH_SECRETS_ROOT, default `.run/secrets`), and PostgreSQL takes
passwords from their passfiles. A test logs in as the principal whose part it plays.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.topics import topic as registered
from services.runtime.access import KafkaAccess, KafkaLogins
from services.runtime.settings import with_passfile


@dataclass(frozen=True)
class Servers:
    kafka: KafkaLogins
    postgres_address: str
    """host:port of the PostgreSQL server."""
    origin: str

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka.bootstrap

    @property
    def secrets_root(self) -> Path:
        return self.kafka.secrets_root

    @property
    def admin(self) -> KafkaAccess:
        return self.kafka.of("admin")

    def kafka_as(self, principal: str) -> KafkaAccess:
        return self.kafka.of(principal)

    def writer_of(self, topic: str) -> KafkaAccess:
        """The registry's first writer of the logical `topic`: the part a test plays."""
        return self.kafka.of(registered(topic).writers[0])

    @property
    def reader(self) -> KafkaAccess:
        """The operator, who reads every topic (tests read what services wrote)."""
        return self.kafka.of("operator")

    def dsn(self, database: str, login: str = "postgres") -> str:
        """`database` as `login`: a service's own login, `operator` (read-only), or the
        cluster's superuser (the admin's), which creates and drops the tests' databases."""
        folder = self.secrets_root / ("admin" if login == "postgres" else login)
        return with_passfile(f"postgresql://{login}@{self.postgres_address}/{database}", folder)

    @property
    def postgres_dsn(self) -> str:
        """The superuser's DSN to the `postgres` database."""
        return self.dsn("postgres")


def _reachable(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _secrets_root() -> Path:
    root = Path(os.environ.get("CNH_SECRETS_ROOT", ".run/secrets")).resolve()
    if not (root / "admin" / "kafka.password").is_file():
        raise RuntimeError(
            f"no run folder secrets in {root}: run `make infra-up` (or `make test`, which "
            "generates them and starts the servers), or set CNH_SECRETS_ROOT"
        )
    return root


@contextlib.contextmanager
def find_servers() -> Iterator[Servers]:
    kafka = os.environ.get("CNH_TEST_KAFKA_BOOTSTRAP")
    postgres = os.environ.get("CNH_TEST_POSTGRES_DSN")
    if kafka and postgres:
        address = postgres.partition("://")[2].rpartition("@")[2].partition("/")[0]
        yield Servers(KafkaLogins(kafka, _secrets_root()), address, "environment")
        return
    if os.environ.get("CNH_TEST_USE_CONTAINERS", "no") == "yes":
        if not _docker_answers():
            raise RuntimeError("CNH_TEST_USE_CONTAINERS=yes but no Docker engine answers")
        raise RuntimeError(
            "the container path does not run with SASL/ACLs and password authentication yet "
            "(the containerized tests are their own issue); use the local servers"
        )
    kafka = f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"
    pg_port = os.environ.get("PG_PORT", "55432")
    if not (_reachable(kafka) and _reachable(f"127.0.0.1:{pg_port}")):
        raise RuntimeError(
            f"no Kafka at {kafka} or no PostgreSQL at 127.0.0.1:{pg_port}: run `make infra-up` "
            "(or `make test`, which starts them), or name servers with CNH_TEST_KAFKA_BOOTSTRAP "
            "and CNH_TEST_POSTGRES_DSN"
        )
    yield Servers(KafkaLogins(kafka, _secrets_root()), f"127.0.0.1:{pg_port}", "local")
