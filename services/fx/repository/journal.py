"""FX's journal: trades, reversals and market moves as balanced movements."""

from __future__ import annotations

from services.fx.domain.ledger import Entry
from services.runtime.db import Connection, columns


class Journal:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def post_entry(self, entry: Entry) -> None:
        """The entry and its movements, in one statement."""
        await self._conn.execute(
            """
            WITH entry AS (
                INSERT INTO journal_entries
                    (entry_id, kind, redemption_id, conversion_id, command_id)
                VALUES ($1, $2, $3, $4, $5)
            )
            INSERT INTO movements (entry_id, source, destination, currency, amount, memo)
            SELECT $1, *
              FROM unnest($6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[])
            """,
            entry.entry_id,
            entry.kind,
            entry.redemption_id,
            entry.conversion_id,
            entry.command_id,
            *columns(
                [
                    (str(m.source), str(m.destination), m.currency, m.amount, m.memo)
                    for m in entry.movements
                ],
                5,
            ),
        )
