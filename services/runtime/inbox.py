"""The inbox: which messages a consumer has applied, and the reply each one got.

A message id is recorded in the same transaction as its effects. A redelivered message
finds its record and gets the stored reply again instead of a second effect; a rejection is
stored like any reply, so a command rejected once stays rejected.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import UnitOfWork

Outcome = Literal["applied", "replied", "dead_lettered"]


@dataclass(frozen=True, slots=True)
class StoredReply:
    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class InboxEntry:
    message_id: uuid.UUID
    message_type: str
    correlation_id: uuid.UUID | None
    outcome: Outcome
    reply: StoredReply | None = None


async def find_processed(
    connection: Connection, consumer: str, message_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, StoredReply | None]:
    """The messages among `message_ids` already processed, with their stored replies."""
    rows = await connection.fetch(
        """
        SELECT message_id, reply_topic, reply_key, reply_value
          FROM inbox
         WHERE consumer = $1 AND message_id = ANY($2::uuid[])
        """,
        consumer,
        list(message_ids),
    )
    return {
        row["message_id"]: (
            StoredReply(row["reply_topic"], row["reply_key"], row["reply_value"])
            if row["reply_value"] is not None
            else None
        )
        for row in rows
    }


def record(uow: UnitOfWork, consumer: str, entries: Iterable[InboxEntry]) -> None:
    """Record processed messages, at commit. A concurrent consumer that recorded one of
    them first makes the commit fail with a unique violation: the transaction is retried,
    not doubled."""
    records = [
        (
            consumer,
            entry.message_id,
            entry.message_type,
            entry.correlation_id,
            entry.outcome,
            entry.reply.topic if entry.reply else None,
            entry.reply.key if entry.reply else None,
            entry.reply.value if entry.reply else None,
        )
        for entry in entries
    ]
    uow.write_at_commit(_INSERT, records)


_INSERT = BulkStatement.insert_into(
    "inbox",
    consumer="text",
    message_id="uuid",
    message_type="text",
    correlation_id="uuid",
    outcome="text",
    reply_topic="text",
    reply_key="bytea",
    reply_value="bytea",
)
