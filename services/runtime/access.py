"""How a principal reaches Kafka: the one place that knows the client options.

Every client of the platform (services, relay, tools, outside producers, tests) connects
through a `KafkaAccess`: SASL_SSL with SCRAM-SHA-512 and the broker verified against the
run folder's CA. A plaintext access exists only when asked for by name (debugging a local
broker), never as a default. The password is a `SecretStr`: it does not show in a repr,
a log line or a traceback.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram512
from pydantic import SecretStr

from services.runtime import reconnect

Protocol = Literal["SASL_SSL", "PLAINTEXT"]
MECHANISM = "SCRAM-SHA-512"


class MissingSecret(RuntimeError):
    """A principal's secret is not where the settings say: a setup error, named clearly."""


@dataclass(frozen=True)
class Timings:
    """How long every client waits on the broker and how soon it tries again: aiokafka's
    options, chosen so that the platform resumes within seconds of a broker restart
    (docs/OPERATIONS.md, "Recovery after a broker restart"). aiokafka has no reconnect
    backoff of its own: every failed request is retried after `retry_backoff_ms`, and the
    project adds one (services/runtime/reconnect.py)."""

    retry_backoff_ms: int = 250
    """Between attempts at a failed request (a heartbeat, a coordinator lookup, a fetch, a
    produce, a metadata refresh). It bounds how late a client notices the broker is back,
    while not hammering one that is away on the cores it needs to start: aiokafka's 100 ms
    had settlement try 224 connections a second during an outage, 250 ms 69 (measured)."""
    request_timeout_ms: int = 40_000
    """A request the broker leaves unanswered (aiokafka's default). A broker that stops or
    restarts closes its connections, so a restart never waits on this; only a host that
    vanishes does, and a shorter one would cut a slow JoinGroup or commit short."""
    metadata_max_age_ms: int = 300_000
    """Periodic metadata refresh (aiokafka's default). aiokafka refreshes on every broken
    connection and on every "not leader" answer, so after a restart the age plays no part;
    a shorter one would only add requests."""
    delivery_timeout_ms: int = 120_000
    """Producers only (their `request_timeout_ms`): how long a batch may wait for its
    partition's leader. aiokafka fails a batch that waited longer, after it numbered it:
    the hole left in the idempotent sequence makes the broker refuse every later batch to
    that partition (OutOfOrderSequenceNumber) for the producer's whole life. A broker
    restart took 30-50 s on the bench machine: 40 s, aiokafka's default, was not enough."""

    reconnect_backoff_ms: int = 50
    reconnect_backoff_max_ms: int = 1_000
    """After a refused connection, a client waits before connecting to that broker again:
    from `reconnect_backoff_ms`, doubling up to this (Java's clients' defaults). It bounds
    how late a client notices a returning broker (services/runtime/reconnect.py)."""

    def options(self) -> dict[str, int]:
        """Keyword arguments for every aiokafka client (tools that wait less on a request
        name their own `request_timeout_ms`; FastStream's broker takes it from here too)."""
        return {
            "retry_backoff_ms": self.retry_backoff_ms,
            "metadata_max_age_ms": self.metadata_max_age_ms,
        }


# every client of the platform reaches Kafka through this module
reconnect.install(
    reconnect.ReconnectBackoff(
        Timings.reconnect_backoff_ms / 1000, Timings.reconnect_backoff_max_ms / 1000
    )
)


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap: str
    principal: str
    password: SecretStr | None = field(default=None, repr=False)
    ca_file: Path | None = None
    protocol: Protocol = "SASL_SSL"
    timings: Timings = Timings()

    @classmethod
    def from_folder(
        cls,
        bootstrap: str,
        principal: str,
        folder: Path,
        protocol: Protocol = "SASL_SSL",
        timings: Timings = Timings(),
    ) -> KafkaAccess:
        """The access of `principal` from its secrets folder (kafka.password, ca.pem)."""
        if protocol == "PLAINTEXT":
            return cls(bootstrap, principal, protocol="PLAINTEXT", timings=timings)
        return cls(
            bootstrap,
            principal,
            SecretStr(read_secret(folder / "kafka.password", f"{principal}'s Kafka password")),
            _existing(folder / "ca.pem", "the Kafka CA certificate"),
            timings=timings,
        )

    def _ssl_context(self) -> ssl.SSLContext:
        # hostname checked against the broker certificate's names (localhost, 127.0.0.1)
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ca_file) if self.ca_file else None
        )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's consumer and admin client (a producer takes
        `producer_options`)."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, **self.timings.options()}
        if self.protocol == "PLAINTEXT":
            return options | {"security_protocol": "PLAINTEXT"}
        assert self.password is not None
        return options | {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": self.principal,
            "sasl_plain_password": self.password.get_secret_value(),
            "ssl_context": self._ssl_context(),
        }

    def producer_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer: a batch waits out a broker restart."""
        return self.client_options() | {"request_timeout_ms": self.timings.delivery_timeout_ms}

    def faststream_security(self) -> BaseSecurity | None:
        if self.protocol == "PLAINTEXT":
            return None
        assert self.password is not None
        return SASLScram512(
            self.principal, self.password.get_secret_value(), ssl_context=self._ssl_context()
        )

    def librdkafka_config(self) -> dict[str, str]:
        """Configuration for confluent-kafka (librdkafka): the admin tools' client."""
        config = {"bootstrap.servers": self.bootstrap}
        if self.protocol == "PLAINTEXT":
            return config | {"security.protocol": "PLAINTEXT"}
        assert self.password is not None
        return config | {
            "security.protocol": "SASL_SSL",
            "sasl.mechanisms": MECHANISM,
            "sasl.username": self.principal,
            "sasl.password": self.password.get_secret_value(),
            "ssl.ca.location": str(self.ca_file),
            "ssl.endpoint.identification.algorithm": "https",
        }

    def as_principal(self, principal: str, folder: Path) -> KafkaAccess:
        """The same broker, reached as another principal (from that principal's folder)."""
        return KafkaAccess.from_folder(
            self.bootstrap, principal, folder, self.protocol, self.timings
        )


@dataclass(frozen=True)
class KafkaLogins:
    """Every principal's access to one broker, from a run folder's secrets (tools, clients
    and tests that act as several principals: each connection logs in as exactly one)."""

    bootstrap: str
    secrets_root: Path
    protocol: Protocol = "SASL_SSL"
    timings: Timings = Timings()

    def of(self, principal: str) -> KafkaAccess:
        return KafkaAccess.from_folder(
            self.bootstrap, principal, self.secrets_root / principal, self.protocol, self.timings
        )


def read_secret(path: Path, what: str) -> str:
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        raise MissingSecret(
            f"{what} is missing: expected in {path} (run `make infra-up`, which generates "
            "the run folder's secrets, or set CNH_SECRETS_DIR)"
        ) from None
    if not value:
        raise MissingSecret(f"{what} is empty: {path}")
    return value


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise MissingSecret(f"{what} is missing: expected in {path}")
    return path
