"""The outbox relay: publishes committed outbox rows to Kafka, in id order.

- One active relay per database (a session advisory lock): a second replica stands by, so
  per-key order is never raced, and the relay needs no row locks.
- Reads unpublished rows in id order, never "id > last id": ids become visible in commit
  order, and a row committed late would be skipped for good.
- Publishes a batch with the idempotent producer (acks=all) and marks its rows only after
  the broker acknowledged them, in the same statement that reads the next batch: one round
  trip per batch. A crash before the mark publishes them again (consumers drop the copy by
  message id).
- A row the broker will never accept (`refusals.py`: its topic is missing, invalid or not
  ours to write, or it is too large) is parked, with its reason, in that same statement,
  and the relay goes on with the rows behind it: one record never stops a service. A
  parked row leaves its key's order (the rows behind it, of its key too, are published);
  re-queued by an operator (`parked.py`), it is published after them, under its own id.
  Every other failure is retried, as before parking existed.
- A producer whose idempotent state the broker refuses (`refusals.breaks_producer`: a
  hole in its sequence after a long broker restart, say) is replaced by a new one, and the
  rows from the refused one on are sent again by it: such a producer would be refused on
  that partition for as long as it lives.
- LISTEN/NOTIFY wakes it early; polling is the guarantee. Published rows are pruned after
  `outbox_retention_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest

from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.runtime.db import Connection
from services.runtime.errors import describe
from services.runtime.logging import get_logger
from services.runtime.outbox import OUTBOX_CHANNEL, key_digest
from services.runtime.refusals import (
    Refusal,
    asks_about_topic,
    breaks_producer,
    permanent_refusal,
    topic_refusal,
)
from services.runtime.retry import Backoff
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

_LEADER_LOCK = (0x0C4E, 0x0001)  # (class, object) key space: apart from the per-key locks
_PRUNE_EVERY_S = 30.0


def create_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka.producer_options(),
        client_id=f"{settings.client_id}-relay",
        enable_idempotence=True,  # implies acks=all; no duplicates from producer retries
        acks="all",
        # A relay batch is handed over whole before the producer's sender runs, and the next
        # one waits for its acks: lingering batches nothing more, and cost every hop 2 ms.
        linger_ms=0,
        max_batch_size=256 * 1024,
        max_request_size=DEAD_LETTER_MAX_BYTES + 64 * 1024,  # dead letters are the largest
    )


class Relay:
    def __init__(self, settings: ServiceSettings, producer: AIOKafkaProducer) -> None:
        self._settings = settings
        self._producer = producer
        self._wake = asyncio.Event()
        self._broken_producer = False
        self._published_unmarked: list[int] = []
        self._parked_unmarked: list[Parked] = []
        self.published = 0
        self.parked = 0

    async def run(self) -> None:
        """Relay until cancelled; reconnects after database failures."""
        backoff = Backoff(
            self._settings.retry_initial_backoff_s, self._settings.retry_max_backoff_s
        )
        given = self._producer
        try:
            while True:
                try:
                    await self._run_as_leader()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("relay interrupted; restarting", error=describe(exc))
                    await backoff.wait()
        finally:
            if self._producer is not given:  # the given one is its owner's to stop
                await self._stop(self._producer)

    async def _run_as_leader(self) -> None:
        connection = await asyncpg.connect(self._settings.database_url)
        try:
            await self._wait_for_leadership(connection)
            log.info("relay active")
            await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
            last_prune = 0.0
            while True:
                if not await self.relay_once(connection):  # nothing new, and all marked
                    await self._idle()
                if time.monotonic() - last_prune > _PRUNE_EVERY_S:
                    await self.prune(connection)
                    last_prune = time.monotonic()
        finally:
            # No graceful goodbye: the server ends the session and frees the leader lock.
            connection.terminate()

    @staticmethod
    async def _wait_for_leadership(connection: Connection) -> None:
        # Standby while another replica relays this database; its lock goes with its session.
        while True:
            if await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", *_LEADER_LOCK):
                return
            await asyncio.sleep(1.0)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._settings.relay_poll_interval_s)
        self._wake.clear()

    async def relay_once(self, connection: Connection) -> int:
        """Mark what the last call published or parked, and publish the next batch
        (unmarked until the next call); returns how many rows were published or parked."""
        parking = self._parked_unmarked
        rows = await connection.fetch(
            """
            WITH marked AS (
                UPDATE outbox SET published_at = now() WHERE id = ANY($2::bigint[])
            ), parked AS (
                UPDATE outbox
                   SET parked_at = now(), park_reason = p.reason, park_detail = p.detail
                  FROM unnest($3::bigint[], $4::text[], $5::text[]) AS p (id, reason, detail)
                 WHERE outbox.id = p.id
            )
            SELECT id, topic, key, value, headers
              FROM outbox
             WHERE published_at IS NULL AND parked_at IS NULL
               AND NOT id = ANY($2::bigint[]) AND NOT id = ANY($3::bigint[])
             ORDER BY id
             LIMIT $1
            """,
            self._settings.relay_batch_size,
            self._published_unmarked,
            [p.id for p in parking],
            [p.refusal.reason for p in parking],
            [p.refusal.detail for p in parking],
        )
        self._published_unmarked, self._parked_unmarked = [], []
        if not rows:
            return 0
        outcome = await self._publish(rows)
        for parked in outcome.parked:
            # once per row: a parked row is never read again unless re-queued
            log.error(
                "outbox row parked: the broker will never accept it; relaying the rows behind it",
                outbox_id=parked.id,
                topic=parked.topic,
                key_digest=parked.key_digest,
                reason=parked.refusal.reason,
                detail=parked.refusal.detail,
            )
        self._published_unmarked = outcome.published
        self._parked_unmarked = outcome.parked
        if self._broken_producer:
            await self._replace_producer()
        self.published += len(outcome.published)
        self.parked += len(outcome.parked)
        return len(outcome.published) + len(outcome.parked)

    async def _publish(self, rows: list[asyncpg.Record]) -> Outcome:
        """Send every row (or find it refused), then wait for the acks; returns what is
        settled: the rows up to the first that failed for now, each published or parked (a
        row after a failed one is sent again, so its key's order holds)."""
        outcomes: list[RowOutcome] = [FAILED] * len(rows)
        deliveries: dict[int, asyncio.Future[Any]] = {}
        for index, row in enumerate(rows):
            sent = await self._send(row)
            if sent is None:
                break
            if isinstance(sent, Refusal):
                outcomes[index] = sent
            else:
                deliveries[index] = sent
        await self._await_acks(rows, deliveries, outcomes)
        return settled(rows, outcomes)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[Any] | Refusal | None:
        """Hand `row` to the producer: its delivery, the refusal that parks it, or None
        when it failed for now."""
        topic = row["topic"]
        if self._producer.client.cluster.partitions_for_topic(topic) is None:
            # Asked first: for a topic that does not exist, `send` would wait out the
            # producer's request timeout (40 s by default) for its metadata, every time.
            refusal = await self._ask_about(topic)
            if refusal is not None:
                return refusal
        headers = [(name, value.encode()) for name, value in json.loads(row["headers"])]
        try:
            # bounded: what is left of a metadata wait is the broker being slow or away
            async with asyncio.timeout(self._settings.relay_metadata_timeout_s):
                delivery: asyncio.Future[Any] = await self._producer.send(
                    topic, row["value"], key=row["key"], headers=headers
                )
        except Exception as exc:
            return await self._refused(topic, exc)
        return delivery

    async def _await_acks(
        self,
        rows: list[asyncpg.Record],
        deliveries: dict[int, asyncio.Future[Any]],
        outcomes: list[RowOutcome],
    ) -> None:
        """Wait for the sent rows' acks, however long the broker is away, and record each
        row's outcome.

        Sent again, rows not acknowledged yet would only queue behind themselves in the same
        producer, which sends them as soon as the broker is back (and fails a batch that
        found no leader for `kafka_delivery_timeout_ms`, so nothing waits forever): copies,
        nothing sooner. Re-sending after 30 s put about a thousand copies on the topics per
        three measured restarts."""
        acks = asyncio.gather(*deliveries.values(), return_exceptions=True)
        while True:
            try:
                results = await asyncio.wait_for(
                    asyncio.shield(acks), self._settings.relay_send_timeout_s
                )
                break
            except TimeoutError:
                log.warning("broker has not acknowledged yet; waiting", rows=len(deliveries))
        for index, result in zip(deliveries, results, strict=True):
            if not isinstance(result, BaseException):
                outcomes[index] = PUBLISHED
                continue
            refusal = await self._refused(rows[index]["topic"], result)
            if refusal is None:
                return  # what comes after it is sent again anyway
            outcomes[index] = refusal

    async def _refused(self, topic: str, error: BaseException) -> Refusal | None:
        """The permanent refusal `error` means for a row of `topic`, or None (logged: the
        row is sent again)."""
        if breaks_producer(error):
            self._broken_producer = True  # replaced once this batch is settled
        refusal = permanent_refusal(error)
        if refusal is None and asks_about_topic(error):
            refusal = await self._ask_about(topic)
        if refusal is None:
            log.warning("publish failed; will publish again", error=describe(error), topic=topic)
        return refusal

    async def _ask_about(self, topic: str) -> Refusal | None:
        """What the broker says of `topic`: the refusal of all its rows, or None when it
        exists, is being created, or the broker cannot be asked (then nothing is known)."""
        client = self._producer.client
        node = client.get_random_node()
        if node is None:
            return None
        # as the producer's own metadata requests do: a broker that creates topics on first
        # use creates this one too, and answers "no leader yet"
        request = MetadataRequest([topic], allow_auto_topic_creation=True)
        try:
            response = await asyncio.wait_for(
                client.send(node, request), self._settings.relay_metadata_timeout_s
            )
        except (KafkaError, TimeoutError):
            return None
        codes = [entry[0] for entry in response.topics if entry[1] == topic]
        return topic_refusal(codes[0]) if codes else None

    async def _replace_producer(self) -> None:
        """A new producer (a new producer id) in place of one the broker refuses; waits,
        retrying within `kafka_retry_max_backoff_s`, for the broker to let it start."""
        settings = self._settings
        log.warning("the broker refuses the relay's producer state; replacing the producer")
        await self._stop(self._producer)
        backoff = Backoff(settings.retry_initial_backoff_s, settings.kafka_retry_max_backoff_s)
        while True:
            producer = create_producer(settings)
            try:
                await producer.start()
                break
            except KafkaError as exc:
                log.warning("could not start the relay's producer; retrying", error=describe(exc))
                await self._stop(producer)
                await backoff.wait()
        self._producer = producer
        self._broken_producer = False

    async def _stop(self, producer: AIOKafkaProducer) -> None:
        # stopping flushes what the producer still holds: bounded, for a broker that is away
        try:
            await asyncio.wait_for(producer.stop(), self._settings.relay_send_timeout_s)
        except Exception as exc:
            log.warning("the relay's old producer did not stop cleanly", error=describe(exc))

    async def prune(self, connection: Connection) -> int:
        status = await connection.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            self._settings.outbox_retention_s,
        )
        return int(status.split()[-1])


async def backlog(connection: Connection) -> int:
    """Rows waiting to be published (drains to zero when Kafka is healthy); parked rows wait
    for an operator, not for the relay (`make parked`)."""
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL"
        )
    )


class _Row(Protocol):
    """An outbox row as read (an asyncpg record): its columns by name."""

    def __getitem__(self, column: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Parked:
    id: int
    topic: str
    key_digest: str
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class Outcome:
    published: list[int]
    parked: list[Parked]


PUBLISHED: Final = "published"
FAILED: Final = "failed"
RowOutcome = Literal["published", "failed"] | Refusal
"""A sent row's fate: acknowledged, failed for now (sent again), or refused for good."""


def settled(rows: Sequence[_Row], outcomes: Sequence[RowOutcome]) -> Outcome:
    """The rows settled by one attempt: those before the first that failed for now, each
    published or parked. What follows a failed row is left for the next attempt, so per key
    nothing is published past a row that may still be published."""
    published: list[int] = []
    parked: list[Parked] = []
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome == FAILED:
            break
        if isinstance(outcome, Refusal):
            parked.append(Parked(row["id"], row["topic"], key_digest(row["key"]), outcome))
        else:
            published.append(row["id"])
    return Outcome(published, parked)
