"""The counter service (tests/support/counter) wired to fresh topics and a fresh database.

Its topics live in a namespace of their own, so that its commands name a registered reply
topic of that namespace (`<namespace>.redemption.replies`): the runtime writes replies
nowhere else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from schemas import Codec, DeadLetter, Envelope, Rejected, envelope, record_headers
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.runtime.access import KafkaAccess
from services.runtime.settings import ServiceSettings
from tests.support.counter.contracts import Add, Added
from tests.support.database import query, query_until
from tests.support.kafka import create_topics, delete_topics, produce, read_until
from tests.support.principals import TEST_TOPIC_PREFIX, ensure_test_principal
from tests.support.process import ServiceProcess, logs
from tests.support.servers import Servers

REPLIES = Codec([Added, Rejected])
EVENTS = Codec([Added])
DEAD_LETTERS = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)


@dataclass
class CounterHarness:
    servers: Servers
    namespace: str
    database_url: str
    commands: str
    replies: str
    events: str
    dead_letters: str
    log_dir: Path
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def kafka(self) -> KafkaAccess:
        """The counter's own login: its tests play both it and its senders."""
        return self.servers.kafka_as("counter")

    def env(self) -> dict[str, str]:
        return {
            "CNH_SERVICE": "counter",
            "CNH_KAFKA_BOOTSTRAP": self.servers.kafka_bootstrap,
            "CNH_SECRETS_ROOT": str(self.servers.secrets_root),
            "CNH_DATABASE_URL": self.database_url,
            "CNH_TOPIC_NAMESPACE": self.namespace,
            # logical names: the namespace is added
            "CNH_DEAD_LETTER_TOPIC": _LOGICAL["dlq"],
            "CNH_CONSUMER_GROUP": f"counter-{self.commands}",
            "CNH_TEST_COMMANDS_TOPIC": _LOGICAL["commands"],
            "CNH_TEST_EVENTS_TOPIC": _LOGICAL["events"],
            "CNH_RETRY_INITIAL_BACKOFF_S": "0.01",
            "CNH_RETRY_MAX_BACKOFF_S": "0.1",
            "CNH_RETRY_MAX_ATTEMPTS": "3",
            "CNH_RELAY_POLL_INTERVAL_S": "0.05",
            "CNH_OUTBOX_RETENTION_S": "0",
        }

    def process(self, name: str = "counter") -> ServiceProcess:
        process = ServiceProcess(
            "tests.support.counter.service",
            {**self.env(), "CNH_INSTANCE": name},
            self.log_dir / f"{name}-{len(self.processes)}.log",
        )
        self.processes.append(process)
        return process

    def add(
        self, account: str, amount: int, *, delay_ms: int = 0, message_id: uuid.UUID | None = None
    ) -> Envelope[Add]:
        return envelope(
            Add(account=account, amount=amount, delay_ms=delay_ms),
            producer="test",
            correlation_id=uuid.uuid4(),
            reply_to=self.replies,
            message_id=message_id,
        )

    async def send(self, *envelopes: Envelope[Add]) -> None:
        """As the relay publishes: the envelope's routing fields repeated as headers."""
        await produce(
            self.kafka,
            self.commands,
            [(e.payload.account.encode(), e.to_bytes()) for e in envelopes],
            [record_headers(e) for e in envelopes],
        )

    async def send_raw(self, records: Sequence[tuple[bytes | None, bytes]]) -> None:
        await produce(self.kafka, self.commands, records)

    async def read(self, topic: str, count: int, timeout_s: float = 60.0) -> list[ConsumerRecord]:
        return await read_until(self.kafka, topic, lambda records: len(records) >= count, timeout_s)

    async def read_distinct(
        self, topic: str, count: int, timeout_s: float = 60.0
    ) -> list[ConsumerRecord]:
        """Read until `count` distinct message ids arrived (redeliveries repeat ids)."""

        def enough(records: list[ConsumerRecord]) -> bool:
            return len({_message_id(r) for r in records}) >= count

        return await read_until(self.kafka, topic, enough, timeout_s)

    async def query(self, sql: str, *args: object) -> list[asyncpg.Record]:
        return await query(self.database_url, sql, *args)

    async def query_until(
        self, sql: str, done: Callable[[list[asyncpg.Record]], bool], interval_s: float = 0.1
    ) -> list[asyncpg.Record]:
        return await query_until(
            self.database_url, sql, done, interval_s=interval_s, context=self.logs
        )

    def logs(self) -> str:
        return logs(self.processes)


_LOGICAL = {
    "commands": "commands",
    "replies": "redemption.replies",  # a registered reply topic
    "events": "events",
    "dlq": "dlq",
}


def relay_settings(servers: Servers, database_url: str, **overrides: Any) -> ServiceSettings:
    """A relay of the counter's database, logged in as the counter (whose ACLs cover the
    `test` topics the relay tests create)."""
    return ServiceSettings(
        service="relaytest",
        principal="counter",
        secrets_root=str(servers.secrets_root),
        database_url=database_url,
        kafka_bootstrap=servers.kafka_bootstrap,
        relay_poll_interval_s=0.05,
        **overrides,
    )


def _message_id(record: ConsumerRecord) -> bytes:
    message_id: bytes = dict(record.headers)["message_id"]
    return message_id


@pytest.fixture
async def counter(
    servers: Servers, counter_db: str, tmp_path: Path
) -> AsyncIterator[CounterHarness]:
    namespace = f"{TEST_TOPIC_PREFIX}{uuid.uuid4().hex[:10]}"  # the counter's ACLs cover it
    names = [f"{namespace}.{_LOGICAL[role]}" for role in ("commands", "replies", "events", "dlq")]
    await ensure_test_principal(servers, "counter")
    await create_topics(servers.admin, *names)
    commands, replies, events, dead_letters = names
    harness = CounterHarness(
        servers, namespace, counter_db, commands, replies, events, dead_letters, log_dir=tmp_path
    )
    yield harness
    for process in harness.processes:
        process.stop()
    await delete_topics(servers.admin, *names)
