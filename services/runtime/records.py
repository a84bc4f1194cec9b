"""A Kafka record as the runtime sees it, independent of the client library."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from schemas import derive_id

_LOG_APPEND_TIME = 1
"""aiokafka's `timestamp_type` of a record the broker stamped (the topic's
message.timestamp.type is LogAppendTime)."""

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
    appended_at: dt.datetime | None = None
    """When the broker appended it, on a topic stamped on arrival (else None: a producer's
    clock is the producer's word only)."""

    @classmethod
    def from_consumer_record(cls, record: Any) -> Record:
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple((name, value or b"") for name, value in (record.headers or ())),
            appended_at=(
                dt.datetime.fromtimestamp(record.timestamp / 1000, dt.UTC)
                if getattr(record, "timestamp_type", None) == _LOG_APPEND_TIME
                else None
            ),
        )

    @property
    def position_id(self) -> uuid.UUID:
        """A stable id for this record's place in the log (for records without a message id)."""
        return derive_id(_RECORD_NAMESPACE, self.topic, str(self.partition), str(self.offset))
