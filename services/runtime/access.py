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

Protocol = Literal["SASL_SSL", "PLAINTEXT"]
MECHANISM = "SCRAM-SHA-512"


class MissingSecret(RuntimeError):
    """A principal's secret is not where the settings say: a setup error, named clearly."""


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap: str
    principal: str
    password: SecretStr | None = field(default=None, repr=False)
    ca_file: Path | None = None
    protocol: Protocol = "SASL_SSL"

    @classmethod
    def from_folder(
        cls, bootstrap: str, principal: str, folder: Path, protocol: Protocol = "SASL_SSL"
    ) -> KafkaAccess:
        """The access of `principal` from its secrets folder (kafka.password, ca.pem)."""
        if protocol == "PLAINTEXT":
            return cls(bootstrap, principal, protocol="PLAINTEXT")
        return cls(
            bootstrap,
            principal,
            SecretStr(read_secret(folder / "kafka.password", f"{principal}'s Kafka password")),
            _existing(folder / "ca.pem", "the Kafka CA certificate"),
        )

    def _ssl_context(self) -> ssl.SSLContext:
        # hostname checked against the broker certificate's names (localhost, 127.0.0.1)
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ca_file) if self.ca_file else None
        )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap}
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
        return KafkaAccess.from_folder(self.bootstrap, principal, folder, self.protocol)


@dataclass(frozen=True)
class KafkaLogins:
    """Every principal's access to one broker, from a run folder's secrets (tools, clients
    and tests that act as several principals: each connection logs in as exactly one)."""

    bootstrap: str
    secrets_root: Path
    protocol: Protocol = "SASL_SSL"

    def of(self, principal: str) -> KafkaAccess:
        return KafkaAccess.from_folder(
            self.bootstrap, principal, self.secrets_root / principal, self.protocol
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
