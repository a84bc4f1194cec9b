"""kyc_history: every change, with who made it, why, and what caused it."""

from __future__ import annotations

from services.kyc.domain.records import HistoryEntry
from services.runtime.db import Connection


class History:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, entry: HistoryEntry) -> None:
        await self._conn.execute(
            """
            INSERT INTO kyc_history (customer_id, wallet_id, action, reason, actor, cause_id,
                                     account_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            entry.customer_id,
            entry.wallet_id,
            entry.action,
            entry.reason,
            entry.actor,
            entry.cause_id,
            entry.account_id,
        )
