"""The outbox relay: publishes committed outbox rows to Kafka, in id order.

- One active relay per database (a session advisory lock): a second replica stands by, so
  per-key order is never raced, and the relay needs no row locks.
- Reads unpublished rows in id order, never "id > last id": ids become visible in commit
  order, and a row committed late would be skipped for good.
- Publishes a batch with the idempotent producer (acks=all) and marks its rows only after
  the broker acknowledged them, in the same statement that reads the next batch: one round
  trip per batch. A crash before the mark publishes them again (consumers drop the copy by
  message id).
- LISTEN/NOTIFY wakes it early; polling is the guarantee. Published rows are pruned after
  `outbox_retention_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.runtime.db import Connection
from services.runtime.logging import get_logger
from services.runtime.outbox import OUTBOX_CHANNEL
from services.runtime.retry import Backoff
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

_LEADER_LOCK = (0x0C4E, 0x0001)  # (class, object) key space: apart from the per-key locks
_PRUNE_EVERY_S = 30.0


def create_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka.client_options(),
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
        self._published_unmarked: list[int] = []
        self.published = 0

    async def run(self) -> None:
        """Relay until cancelled; reconnects after database failures."""
        backoff = Backoff(
            self._settings.retry_initial_backoff_s, self._settings.retry_max_backoff_s
        )
        while True:
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay interrupted; restarting", error=repr(exc))
                await backoff.wait()

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
        """Mark what the last call published, and publish the next batch (unmarked until the
        next call); returns how many rows were published."""
        rows = await connection.fetch(
            """
            WITH marked AS (
                UPDATE outbox SET published_at = now() WHERE id = ANY($2::bigint[])
            )
            SELECT id, topic, key, value, headers
              FROM outbox
             WHERE published_at IS NULL AND NOT id = ANY($2::bigint[])
             ORDER BY id
             LIMIT $1
            """,
            self._settings.relay_batch_size,
            self._published_unmarked,
        )
        self._published_unmarked = []
        if not rows:
            return 0
        acked = await self._publish(rows)
        self._published_unmarked = [row["id"] for row in rows[:acked]]
        self.published += acked
        return acked

    async def _publish(self, rows: list[asyncpg.Record]) -> int:
        """Send every row, then wait for the acks; returns the length of the acknowledged
        prefix (a row after a failed one is sent again, so its key's order holds)."""
        deliveries = []
        for row in rows:
            headers = [(name, value.encode()) for name, value in json.loads(row["headers"])]
            deliveries.append(
                await self._producer.send(
                    row["topic"], row["value"], key=row["key"], headers=headers
                )
            )
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*deliveries, return_exceptions=True),
                self._settings.relay_send_timeout_s,
            )
        except TimeoutError:
            log.warning("broker did not acknowledge in time; will publish again", rows=len(rows))
            return 0
        for index, result in enumerate(results):
            if isinstance(result, BaseException):
                log.warning(
                    "publish failed; will publish again",
                    error=repr(result),
                    topic=rows[index]["topic"],
                )
                return index
        return len(results)

    async def prune(self, connection: Connection) -> int:
        status = await connection.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            self._settings.outbox_retention_s,
        )
        return int(status.split()[-1])


async def backlog(connection: Connection) -> int:
    """Rows waiting to be published (drains to zero when Kafka is healthy)."""
    return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
