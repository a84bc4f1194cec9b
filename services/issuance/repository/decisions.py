"""The audit of what each command was decided, by which replica."""

from __future__ import annotations

from services.issuance.domain.records import Decision
from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit


class Decisions:
    """The transaction's command outcomes (the audit of what was decided, by which replica),
    written in one statement just before it commits (a staged writer of the unit of work)."""

    _INSERT = BulkStatement.insert_into(
        "decisions", command_id="uuid", command_type="text", outcome="text", reason="text",
        detail="text", wallet_id="uuid", deposit_id="uuid", redemption_id="uuid",
        instance="text",
    )  # fmt: skip

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows: list[tuple[object, ...]] = []

    def record(self, decision: Decision, instance: str) -> None:
        self._rows.append((
            decision.command_id, decision.command_type, decision.outcome, decision.reason,
            decision.detail, decision.wallet_id, decision.deposit_id, decision.redemption_id,
            instance,
        ))  # fmt: skip

    async def flush(self, commit: AtCommit) -> None:
        rows, self._rows = self._rows, []
        commit.write_at_commit(self._INSERT, rows)
