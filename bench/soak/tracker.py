"""The bench's tracker, plus when each quote expires (the soak sends some requests after
that on purpose, and tells ordinary requests from late ones by it)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from bench.tracker import Tracker
from services.runtime.access import KafkaAccess


class SoakTracker(Tracker):
    def __init__(self, kafka: KafkaAccess, namespace: str) -> None:
        super().__init__(kafka, namespace)
        self.expiries: dict[uuid.UUID, dt.datetime] = {}
        """redemption id -> its quote's expiry (server clock, UTC)."""

    def _see(
        self, headers: list[tuple[str, bytes]], key: bytes | None, value: bytes, now: float
    ) -> None:
        super()._see(headers, key, value, now)
        if next((v for k, v in headers if k == "type"), b"") == b"redemption.quoted":
            payload = json.loads(value)["payload"]
            expires = dt.datetime.fromisoformat(payload["expires_at"].replace("Z", "+00:00"))
            self.expiries[uuid.UUID(payload["redemption_id"])] = expires
