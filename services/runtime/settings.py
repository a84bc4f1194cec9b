"""Settings every service reads from its environment (prefix CNH_).

A service adds its own fields in a subclass, named after itself (e.g. `kyc_encryption_key`
is read from CNH_KYC_ENCRYPTION_KEY), so one environment can hold every service's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.principals import BY_NAME as PRINCIPALS
from schemas.sealed import OpeningKeys, SealingKey
from schemas.signing import DEFAULT_CHAIN_ID
from services.runtime.access import KafkaAccess, KafkaLogins, Protocol, Timings


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CNH_", extra="ignore", frozen=True)

    service: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    environment: Literal["development", "production"] = "development"
    """Production refuses what only a developer's machine may use (a key published in the
    source, a plaintext broker)."""
    instance: str = "0"
    """Tells replicas apart in logs and client ids."""

    principal: str = ""
    """Who this process is on Kafka and PostgreSQL (schemas/principals.py); defaults to the
    service. Read-only tools run as `operator`."""
    secrets_root: str = ".run/secrets"
    secrets_dir: str = ""
    """The principal's own secrets (kafka.password, ca.pem, pgpass); defaults to
    `<secrets_root>/<principal>`, as infra/secrets.py lays out a run folder."""

    chain_id: int = Field(default=DEFAULT_CHAIN_ID, ge=1)
    """The EVM chain whose id wallets sign into their requests (EIP-712 domain): a signature
    for another chain is refused."""

    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_security: Protocol = "SASL_SSL"
    """PLAINTEXT only for debugging a broker started without security; never a default."""
    # How the clients ride out a broker restart: the reasons are in access.Timings and
    # docs/OPERATIONS.md ("Recovery after a broker restart").
    kafka_retry_backoff_ms: int = Field(default=Timings.retry_backoff_ms, ge=10)
    kafka_request_timeout_ms: int = Field(default=Timings.request_timeout_ms, ge=1_000)
    kafka_metadata_max_age_ms: int = Field(default=Timings.metadata_max_age_ms, ge=1_000)
    kafka_delivery_timeout_ms: int = Field(default=Timings.delivery_timeout_ms, ge=1_000)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=6_000)
    """A consumer not heard of for this long leaves its group (aiokafka's default; the
    broker's minimum is 6 s). After a broker restart the coordinator reloads every group
    with its members and gives each a fresh session, so members that heartbeat again keep
    their partitions: no rebalance, whatever this is. Shorter would only notice a dead
    replica sooner, at the price of rebalances when a busy process heartbeats late."""
    kafka_static_membership: bool = True
    """Each process joins its groups as a static member named by its service and instance
    (KIP-345 group.instance.id, "<service>-<instance>"). A process killed and started again
    takes its partitions back at once; a dynamic member would wait in the join until the
    dead one's session expired (5-10 s of every kill, measured in the soak). The price: a
    replica that stops for good keeps its partitions for a session timeout too (a static
    member does not leave its group), and two live processes must never share an instance
    number (the second fences the first out)."""
    kafka_heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    """How often a consumer heartbeats (aiokafka: 3 s). A member learns of a rebalance only
    from a heartbeat's answer, so each rebalance (a replica that comes or goes, a group the
    restarted coordinator could not keep) waits up to this long for every member."""
    kafka_retry_max_backoff_s: float = Field(default=1.0, gt=0)
    """The longest our own loops wait between attempts to reach the broker (committing
    positions, replacing the relay's producer): once it answers again, they try within a
    second, however long it was away."""
    database_url_template: str = "postgresql://{user}@127.0.0.1:55432/{service}"
    database_url: str = ""
    """Defaults to `database_url_template` filled with the principal's login and the
    service's database. Without a password in it, the password comes from the principal's
    passfile (`pgpass` in its secrets folder), never from the URL or the environment."""
    db_pool_min: int = 2
    db_pool_max: int = 10

    topic_namespace: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]*)?$")
    """Prefix of every topic name ("<namespace>.<topic>"): lets tests and parallel
    environments share one broker. Empty in production."""
    dead_letter_topic: str = ""
    """Defaults to "<service>.dlq" from the topic registry."""
    consumer_group: str = ""
    """Defaults to the service name: replicas of one service share the work."""
    batch_max_records: int = Field(default=500, ge=1, le=10_000)
    batch_timeout_ms: int = Field(default=500, ge=0)
    """How long a consumer waits for records when there are none. aiokafka hands over a
    batch as soon as records arrive, so this costs no latency; a short one only wakes every
    idle consumer more often (20 ms: five idle services used 0.28 of a core, 500 ms 0.14)."""

    throughput_log_interval_s: float = Field(default=10.0, ge=0)
    """How often each subscription logs what it consumed ("consumed" lines); 0: never."""

    relay_batch_size: int = Field(default=2_000, ge=1)
    relay_poll_interval_s: float = Field(default=0.2, gt=0)
    relay_send_timeout_s: float = Field(default=30.0, gt=0)
    """How often the relay logs that it still waits for the broker's acks (it waits as
    long as the broker is away), and how long stopping a refused producer may take."""
    relay_metadata_timeout_s: float = Field(default=5.0, gt=0)
    """How long handing a row to the producer may wait for its topic's metadata (aiokafka
    waits its request timeout, 40 s, for a missing topic); then the relay asks the broker
    whether the topic exists: missing, the row is parked; otherwise it is sent again."""
    outbox_retention_s: float = Field(default=3_600.0, ge=0)
    """Published outbox rows are kept this long for inspection, then pruned."""

    retry_initial_backoff_s: float = Field(default=0.05, gt=0)
    retry_max_backoff_s: float = Field(default=5.0, gt=0)
    retry_max_attempts: int = Field(default=6, ge=1)
    """Attempts for a batch that fails with a defect (and then for each message alone)
    before a dead letter; an outage or a transient error is retried for as long as it
    lasts (services/runtime/retry.py)."""
    retry_log_interval_s: float = Field(default=60.0, gt=0)
    """While a failure lasts, how often a retry loop says so again (with its attempts)."""

    dependency_wait_initial_s: float = Field(default=0.5, gt=0)
    dependency_wait_max_s: float = Field(default=5.0, gt=0)
    """A dependency that does not answer at start (PostgreSQL, Kafka, ...) is probed again
    after a jittered delay doubling from the first setting up to the second, for as long
    as it takes: a service started during an outage waits, it does not exit."""
    dependency_probe_timeout_s: float = Field(default=5.0, gt=0)
    """One probe's limit: a server that accepts and never answers counts as not there."""

    health_port: int = Field(default=0, ge=0, le=65_535)
    """The HTTP port of /health/live and /health/ready (services/runtime/health.py); 0: no
    health endpoint."""
    health_probe_interval_s: float = Field(default=10.0, ge=0)
    """With the endpoint on, how often a started process probes its dependencies again, so
    that its readiness follows them; 0: never."""
    health_host: str = "127.0.0.1"
    """Loopback by default: the endpoint names the dependencies and their errors."""

    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern=r"^(json|console)$")

    @model_validator(mode="after")
    def _defaults(self) -> ServiceSettings:
        # frozen model: fill derived defaults through object.__setattr__ once, at load time
        if not self.principal:
            object.__setattr__(self, "principal", self.service)
        if not self.secrets_dir:
            object.__setattr__(self, "secrets_dir", str(Path(self.secrets_root) / self.principal))
        url = (
            with_passfile(self.database_url, Path(self.secrets_dir))
            if self.database_url
            else self.database_url_for(self.service)
        )
        object.__setattr__(self, "database_url", url)
        if not self.dead_letter_topic:
            object.__setattr__(self, "dead_letter_topic", f"{self.service}.dlq")
        if not self.consumer_group:
            # namespaces share a broker: their groups must not rebalance each other
            object.__setattr__(self, "consumer_group", self.topic(self.service))
        return self

    def topic(self, name: str) -> str:
        """The broker's name for the logical topic `name` (a schemas/topics.py name)."""
        return f"{self.topic_namespace}.{name}" if self.topic_namespace else name

    def group_of(self, service: str, topic: str) -> str:
        """The consumer group `service` consumes the logical `topic` with, by default: one
        group per subscription, "<namespace>.<service>.<topic>" (runtime/kafka.py)."""
        return f"{self.topic(service)}.{topic}"

    def database_url_for(self, service: str) -> str:
        """`service`'s database as this process's own login (a tool reading several)."""
        url = self.database_url_template.format(
            service=service, user=_postgres_login(self.principal)
        )
        return with_passfile(url, Path(self.secrets_dir))

    @property
    def client_id(self) -> str:
        return f"{self.service}-{self.instance}"

    @property
    def kafka_timings(self) -> Timings:
        return Timings(
            retry_backoff_ms=self.kafka_retry_backoff_ms,
            request_timeout_ms=self.kafka_request_timeout_ms,
            metadata_max_age_ms=self.kafka_metadata_max_age_ms,
            delivery_timeout_ms=self.kafka_delivery_timeout_ms,
        )

    @property
    def kafka(self) -> KafkaAccess:
        """How this process reaches Kafka, as its principal."""
        return KafkaAccess.from_folder(
            self.kafka_bootstrap,
            self.principal,
            Path(self.secrets_dir),
            self.kafka_security,
            self.kafka_timings,
        )

    def opening_keys(self) -> OpeningKeys:
        """This service's keys that open personal data sealed to it (schemas/sealed.py)."""
        return OpeningKeys.load(Path(self.secrets_dir), self.service)

    def sealing_key(self, recipient: str) -> SealingKey:
        """The public key to seal personal data to `recipient` with."""
        return SealingKey.load(Path(self.secrets_root), recipient)

    @property
    def kafka_logins(self) -> KafkaLogins:
        """Every principal's access to the same broker (tools that act as several)."""
        return KafkaLogins(
            self.kafka_bootstrap, Path(self.secrets_root), self.kafka_security, self.kafka_timings
        )


def _postgres_login(principal: str) -> str:
    known = PRINCIPALS.get(principal)
    return (known.postgres_role or principal) if known else principal


def with_passfile(url: str, secrets_dir: Path) -> str:
    """`url` reading its password from the principal's passfile, unless it names one."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.password or "passfile" in query:
        return url
    query["passfile"] = str((secrets_dir / "pgpass").resolve())
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))
