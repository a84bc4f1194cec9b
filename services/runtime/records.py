"""A Kafka record as the runtime sees it, independent of the client library."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from schemas import derive_id

# Namespace for ids of records that carry no readable message id of their own.
_RECORD_NAMESPACE = uuid.UUID("3d0c8f1e-5a7b-4c2d-9e6f-0a1b2c3d4e5f")


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_consumer_record(cls, record: Any) -> Record:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple((name, value or b"") for name, value in (record.headers or ())),
        )

    @property
    def position_id(self) -> uuid.UUID:
        """A stable id for this record's place in the log (for records without a message id)."""
        return derive_id(_RECORD_NAMESPACE, self.topic, str(self.partition), str(self.offset))
