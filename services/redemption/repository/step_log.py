"""The step log (`saga_log`): every command, re-send, reply, stale reply, timeout, wait for
delivery, query and outcome of a saga, the timeline operators read. A transaction's entries
are written with its commit, in one INSERT."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from services.redemption.domain.decide import Entry
from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit


class StepLog:
    def __init__(self, connection: Connection) -> None:
        self._entries: list[
            tuple[uuid.UUID, dt.datetime, str, str | None, str, uuid.UUID | None]
        ] = []

    def record(self, redemption_id: uuid.UUID, entries: Sequence[Entry], now: dt.datetime) -> None:
        self._entries.extend(
            (redemption_id, now, e.event, e.step, e.detail, e.message_id) for e in entries
        )

    async def flush(self, commit: AtCommit) -> None:
        entries, self._entries = self._entries, []
        commit.write_at_commit(_SAGA_LOG, entries)


_SAGA_LOG = BulkStatement.insert_into(
    "saga_log", redemption_id="uuid", at="timestamptz", event="text", step="text",
    detail="text", message_id="uuid",
)  # fmt: skip
