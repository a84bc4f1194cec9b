"""The history of every state change (deposits, payouts) and the anomalies an operator
reviews."""

from __future__ import annotations

import uuid

from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit


class History:
    """State changes of deposits and payouts, with who made them and why: collected in the
    transaction and written in one statement just before it commits (a staged writer)."""

    _INSERT = BulkStatement.insert_into(
        "history", subject="text", subject_id="uuid", from_state="text", to_state="text",
        actor="text", cause="text", detail="text",
    )  # fmt: skip

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: list[tuple[str, uuid.UUID, str | None, str, str, str, str]] = []

    def record(
        self,
        subject: str,
        subject_id: uuid.UUID,
        from_state: str | None,
        to_state: str,
        actor: str,
        cause: str,
        detail: str = "",
    ) -> None:
        self._rows.append((subject, subject_id, from_state, to_state, actor, cause, detail))

    async def flush(self, commit: AtCommit) -> None:
        rows, self._rows = self._rows, []
        commit.write_at_commit(self._INSERT, rows)


class Anomalies:
    """What an operator reviews: a conflict, a mismatch, a refusal (written at once)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def record(self, kind: str, reference: str, detail: str) -> None:
        await self._connection.execute(
            "INSERT INTO anomalies (kind, reference, detail) VALUES ($1, $2, $3)",
            kind,
            reference,
            detail,
        )
