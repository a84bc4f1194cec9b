"""Follows the outcome topics and stamps the moment each awaited fact arrives.

Cheap on purpose (the bench shares the machine's two cores with the platform): the record's
`type` header routes it; only the few payloads needed are parsed, as plain JSON."""

from __future__ import annotations

import json
import time
import uuid

from aiokafka import AIOKafkaConsumer

from clients.watcher import Follower
from services.runtime.access import KafkaAccess

OUTCOMES = {
    "redemption.completed": "completed",
    "redemption.failed": "failed",
    "redemption.needs_review": "needs_review",
}


class Tracker(Follower):
    def __init__(self, kafka: KafkaAccess, namespace: str) -> None:
        """`kafka`: a login that reads the event topics (the operator's)."""
        topics = [f"{namespace}.{t}" for t in ("redemption.events", "issuance.events")]
        self._consumer = AIOKafkaConsumer(
            *topics, **kafka.client_options(), group_id=None, auto_offset_reset="latest",
            max_poll_records=5_000,
        )  # fmt: skip
        self.outcomes: dict[uuid.UUID, tuple[float, str]] = {}
        """redemption id -> (arrival, completed / failed / needs_review)"""
        self.quotes: dict[uuid.UUID, uuid.UUID] = {}
        """redemption id -> quote id (RedemptionQuoted)"""
        self.minted: dict[uuid.UUID, float] = {}
        """deposit id -> arrival of its Minted event"""

    async def _follow(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    self._see(record.headers, record.key, record.value, now)

    def _see(
        self, headers: list[tuple[str, bytes]], key: bytes | None, value: bytes, now: float
    ) -> None:
        kind = next((v.decode() for k, v in headers if k == "type"), "")
        if kind in OUTCOMES and key:
            rid = uuid.UUID(key.decode())
            if rid not in self.outcomes:
                self.outcomes[rid] = (now, OUTCOMES[kind])
        elif kind == "redemption.quoted":
            payload = json.loads(value)["payload"]
            self.quotes[uuid.UUID(payload["redemption_id"])] = uuid.UUID(payload["quote_id"])
        elif kind == "issuance.minted":
            deposit = uuid.UUID(json.loads(value)["payload"]["deposit_id"])
            self.minted.setdefault(deposit, now)
