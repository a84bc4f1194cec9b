"""The transactional outbox: messages are rows written in the handler's own transaction.

Per-key order: before its rows get ids, a transaction takes a transaction-scoped advisory
lock per (topic, key). Two transactions writing the same key are serialised there, so for
one key, id order is commit order, and the relay, which publishes in id order, keeps it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas import MAX_MESSAGE_BYTES, Envelope, record_headers
from services.runtime.db import BulkStatement, Connection, columns

OUTBOX_CHANNEL = "outbox"
"""LISTEN/NOTIFY channel: a wake-up hint for the relay, never the guarantee."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    message_id: str


def key_lock(topic: str, key: bytes | None) -> int:
    """A signed 64-bit advisory lock id for one (topic, key)."""
    digest = hashlib.blake2b(topic.encode() + b"\x00" + (key or b""), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def key_digest(key: bytes | None) -> str:
    """How logs and operator listings name a row's key: keys are ids of people's
    aggregates (customers, wallets), and a digest still tells rows of one key apart."""
    return hashlib.sha256(key or b"").hexdigest()[:16] if key is not None else "-"


class OutboxWriter:
    """Collects a transaction's messages and writes them in one statement at commit."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[OutboxRow] = []

    def add(
        self,
        topic: str,
        key: str | bytes | None,
        env: Envelope[Any],
        *,
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        value = env.to_bytes()
        if len(value) > max_bytes:
            # refused here, in the writer's transaction, so it can never block the relay
            raise ValueError(f"{env.type} is {len(value)} bytes; the limit is {max_bytes}")
        raw_key = key.encode() if isinstance(key, str) else key
        self._rows.append(
            OutboxRow(topic, raw_key, value, record_headers(env), str(env.message_id))
        )

    def add_encoded(
        self, topic: str, key: bytes | None, value: bytes, env: Envelope[Any] | None = None
    ) -> None:
        """Add an already encoded message (a stored reply being replayed)."""
        headers = record_headers(env) if env is not None else _headers_of(value)
        message_id = dict(headers)["message_id"].decode()
        self._rows.append(OutboxRow(topic, key, value, headers, message_id))

    def __len__(self) -> int:
        return len(self._rows)

    async def flush(
        self, along: Sequence[tuple[BulkStatement, Sequence[Sequence[Any]]]] = ()
    ) -> None:
        """Write the messages, and the rows `along` them (the inbox records, staged rows),
        in one statement: one round trip at commit."""
        parts = [(statement, rows) for statement, rows in along if rows]
        if not self._rows:
            if parts:
                *companions, (last, last_rows) = parts
                with_, arguments = _companions(companions, first_parameter=1)
                await self._connection.execute(
                    with_ + last.sql(len(arguments) + 1), *arguments, *last.arguments(last_rows)
                )
            return
        rows, self._rows = self._rows, []
        locks = sorted({key_lock(row.topic, row.key) for row in rows})
        outbox_arguments: list[Any] = [locks, OUTBOX_CHANNEL]
        outbox_arguments += columns(
            [
                (
                    row.topic,
                    row.key,
                    row.value,
                    json.dumps([[name, value.decode()] for name, value in row.headers]),
                    row.message_id,
                )
                for row in rows
            ],
            5,
        )
        with_, arguments = _companions(parts, first_parameter=len(outbox_arguments) + 1)
        # The key locks are an InitPlan, taken before the first row is inserted and so
        # before any of them draws its id; sorted, so two writers never wait on each other
        # in a cycle. The relay's wake-up is delivered at the commit.
        await self._connection.execute(
            with_
            + """
            INSERT INTO outbox (topic, key, value, headers, message_id)
            SELECT * FROM unnest($3::text[], $4::bytea[], $5::bytea[], $6::jsonb[], $7::uuid[])
             WHERE (SELECT count(pg_advisory_xact_lock(k))
                      FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) AS l) >= 0
               AND (SELECT count(*) FROM pg_notify($2, '')) = 1
            """,
            *outbox_arguments,
            *arguments,
        )


def _companions(
    parts: Sequence[tuple[BulkStatement, Sequence[Sequence[Any]]]], first_parameter: int
) -> tuple[str, list[Any]]:
    """`WITH part_0 AS (...), ...` for statements run as part of a larger one, and their
    arguments, numbered from `first_parameter`."""
    clauses: list[str] = []
    arguments: list[Any] = []
    for n, (statement, rows) in enumerate(parts):
        clauses.append(f"part_{n} AS ({statement.sql(first_parameter + len(arguments))})")
        arguments += statement.arguments(rows)
    return ("WITH " + ", ".join(clauses) + " " if clauses else ""), arguments


def _headers_of(value: bytes) -> list[tuple[str, bytes]]:
    return record_headers(json.loads(value))
