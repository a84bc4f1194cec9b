"""Contracts every service emits through the runtime: dead letters and generic rejections."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.envelope import MAX_MESSAGE_BYTES
from schemas.ids import Name, ReasonCode, Text
from schemas.message import Message, Struct

# base64 grows 4/3; a header value is bounded by what Kafka carries in practice.
Base64 = Annotated[
    str,
    StringConstraints(
        max_length=(MAX_MESSAGE_BYTES * 4) // 3 + 4 + 4 * 1024 * 1024,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
    ),
]


class RecordHeader(Struct):
    key: Annotated[str, StringConstraints(max_length=256)]
    value_b64: Annotated[
        str, StringConstraints(max_length=64 * 1024, pattern=r"^[A-Za-z0-9+/]*={0,2}$")
    ]


class DeadLetter(Message):
    """A record a service could not apply, with the reason and the original bytes.

    `make dlq-replay` re-publishes `value_b64` to `source_topic` with the original key.
    """

    TYPE = "runtime.dead_letter"

    service: Name
    consumer_group: Name
    source_topic: Name
    source_partition: int = Field(ge=0, le=2**31 - 1)  # Kafka's int32 partition
    source_offset: int = Field(ge=0, le=2**63 - 1)  # Kafka's int64 offset
    key_b64: (
        Annotated[str, StringConstraints(max_length=4096, pattern=r"^[A-Za-z0-9+/]*={0,2}$")] | None
    )
    value_b64: Base64 | None
    headers: tuple[RecordHeader, ...] = Field(default=(), max_length=64)
    reason: ReasonCode
    detail: Text
    attempts: int = Field(ge=1, le=1_000_000)
    failed_at: AwareDatetime


class Rejected(Message):
    """The typed rejection a sender gets when its command could not even be read.

    Business rejections are each service's own reply types; this one covers the runtime's
    reasons (not_json, invalid_envelope, invalid_payload, unexpected_type, retries_exhausted).
    """

    TYPE = "runtime.rejected"

    reason: ReasonCode
    detail: Text
    rejected_message_id: Annotated[str, StringConstraints(max_length=64)] | None = None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
