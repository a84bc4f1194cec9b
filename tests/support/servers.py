"""Finds the Kafka broker and PostgreSQL server the integration tests run against.

Order (design section 7): servers named by environment variables; containers through
testcontainers where a Docker engine answers; else the local servers `make infra-up`
started. A server that cannot be reached is a test failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    postgres_dsn: str
    """A DSN of a role that may create databases; its database part is replaced per test."""
    origin: str


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


@contextlib.contextmanager
def _containers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    kafka.with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
    kafka.with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
    with kafka, PostgresContainer("postgres:16", driver=None) as postgres:
        yield Servers(kafka.get_bootstrap_server(), postgres.get_connection_url(), "testcontainers")


@contextlib.contextmanager
def find_servers() -> Iterator[Servers]:
    kafka = os.environ.get("CNH_TEST_KAFKA_BOOTSTRAP")
    postgres = os.environ.get("CNH_TEST_POSTGRES_DSN")
    if kafka and postgres:
        yield Servers(kafka, postgres, "environment")
        return
    if os.environ.get("CNH_TEST_USE_CONTAINERS", "auto") != "no" and _docker_answers():
        with _containers() as servers:
            yield servers
        return
    kafka = f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"
    pg_port = os.environ.get("PG_PORT", "55432")
    if not (_reachable(kafka) and _reachable(f"127.0.0.1:{pg_port}")):
        raise RuntimeError(
            f"no Kafka at {kafka} or no PostgreSQL at 127.0.0.1:{pg_port}: run `make infra-up` "
            "(or `make test`, which starts them), or name servers with CNH_TEST_KAFKA_BOOTSTRAP "
            "and CNH_TEST_POSTGRES_DSN"
        )
    yield Servers(kafka, f"postgresql://cnh:cnh@127.0.0.1:{pg_port}/postgres", "local")
