"""The bank talking back on Kafka, as its own `bank` principal (settlement may not write its
own ingress topic): the notices of its orders once due, and a statement every interval.

A message is published and then marked delivered; one published but not yet marked when the
bank stops is published again after its restart, under the same message id, and
settlement's inbox drops the copy. Both loops run on the runtime's `every`: a round that
fails (Kafka or PostgreSQL away) is retried with backoff while the API goes on answering.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from aiokafka import AIOKafkaProducer

from schemas import MESSAGE_TYPES, envelope, record_headers
from services.runtime.db import Pool
from services.runtime.periodic import every
from simulators.bank import repository
from simulators.bank.settings import BankSettings

PRODUCER = "bank"
NOTIFICATIONS = "settlement.bank-notifications"
_BATCH = 200
_SEND_TIMEOUT_S = 30.0


class Delivery:
    def __init__(self, settings: BankSettings, pool: Pool) -> None:
        self._settings = settings
        self._pool = pool
        self._producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        """Both loops, until cancelled (the bank stopping)."""
        settings = self._settings
        try:
            await asyncio.gather(
                every(settings.bank_delivery_interval_s, self.deliver_due, settings, "delivery"),
                self._statements(),
            )
        finally:
            if self._producer is not None:
                await self._producer.stop()

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                **self._settings.kafka.producer_options(),
                client_id="bank",
                enable_idempotence=True,
            )
            await producer.start()  # raises while Kafka is away: the round is retried
            self._producer = producer
        return self._producer

    async def deliver_due(self) -> bool:
        """Publish the messages that are due, in order, and mark them once acknowledged
        (the row locks keep a second bank process off them meanwhile). True: more wait."""
        producer = await self._started()
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """
                SELECT id, message_id, key, type, body FROM deliveries
                 WHERE delivered_at IS NULL AND due_at <= clock_timestamp()
                 ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
                """,
                _BATCH,
            )
            sends = []
            for row in rows:
                payload = MESSAGE_TYPES[row["type"]].model_validate_json(row["body"])
                env = envelope(
                    payload,
                    producer=PRODUCER,
                    correlation_id=row["message_id"],
                    message_id=row["message_id"],
                )
                sends.append(
                    await producer.send(
                        self._settings.topic(NOTIFICATIONS),
                        env.to_bytes(),
                        key=row["key"].encode(),
                        headers=record_headers(env),
                    )
                )
            # idempotent sends never time out by themselves
            await asyncio.wait_for(asyncio.gather(*sends), _SEND_TIMEOUT_S)
            await connection.execute(
                "UPDATE deliveries SET delivered_at = clock_timestamp()"
                " WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        return len(rows) == _BATCH

    async def _statements(self) -> None:
        # the first one interval after the start: a restart sends no statement of its own
        interval = self._settings.bank_statement_interval_s
        await asyncio.sleep(interval)
        await every(interval, self.statement, self._settings, "statements")

    async def statement(self) -> None:
        interval = dt.timedelta(seconds=self._settings.bank_statement_interval_s)
        now = dt.datetime.now(dt.UTC)
        await repository.close_statement(self._pool, self._settings.bank_account, interval, now)
