"""Contracts every service emits through the runtime: dead letters and generic rejections."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.ids import Name, NulFree, ReasonCode, Text
from schemas.message import Message, Struct

DEAD_LETTER_MAX_BYTES = 2 * 1024 * 1024
"""A dead letter may exceed MAX_MESSAGE_BYTES: it carries a record that was too big, as
base64 (4/3 of its size). Dead-letter topics allow this size (schemas/topics.py)."""

DEAD_LETTER_VALUE_CHARS = 1_536 * 1024
"""base64 of 1.1 MiB: more than Kafka's default record limit, so a real record fits whole;
a longer one is cut and flagged `truncated` (the original stays at its source offset)."""
DEAD_LETTER_KEY_CHARS = 4 * 1024
DEAD_LETTER_HEADER_CHARS = 4 * 1024

_B64 = r"^[A-Za-z0-9+/]*={0,2}$"
Base64Key = Annotated[str, StringConstraints(max_length=DEAD_LETTER_KEY_CHARS, pattern=_B64)]
Base64Value = Annotated[str, StringConstraints(max_length=DEAD_LETTER_VALUE_CHARS, pattern=_B64)]


class RecordHeader(Struct):
    key: Annotated[str, StringConstraints(max_length=256), NulFree]
    value_b64: Annotated[str, StringConstraints(max_length=DEAD_LETTER_HEADER_CHARS, pattern=_B64)]


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
    key_b64: Base64Key | None
    value_b64: Base64Value | None
    value_size: int = Field(ge=0, le=2**31 - 1)
    """Bytes in the original value (0 for a null value)."""
    value_digest: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")] | None = None
    """For a topic that carries personal data (schemas/topics.py `personal`): the record's
    digest stands in for it (value_b64 and the headers are None/empty), so the letter
    identifies the record without copying it. Replay then reads the original from its
    source offset (while the topic still retains it)."""
    truncated: bool = False
    """True when key, value or a header was cut to fit; the original stays at its offset."""
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
    rejected_message_id: Annotated[str, StringConstraints(max_length=64), NulFree] | None = None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
