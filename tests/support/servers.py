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


KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:16"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _containers() -> Iterator[Servers]:
    # testcontainers' KafkaContainer drives Confluent images (Kafka 3.x); the platform needs
    # Apache Kafka 4.x in KRaft mode, so the official image is configured here directly. The
    # advertised listener must name the host port, hence a fixed binding to a free port.
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    port = _free_port()
    kafka = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
        )
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
    )
    with kafka, PostgresContainer(POSTGRES_IMAGE, driver=None) as postgres:
        wait_for_logs(kafka, "Kafka Server started", timeout=120)
        yield Servers(f"127.0.0.1:{port}", postgres.get_connection_url(), "testcontainers")


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
