"""What the bank says: its notices, kept until applied, and its statement pages, matched
against the payouts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import asyncpg

from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit


class Notices:
    """The bank notices a transaction receives, written in one statement just before it
    commits, each with the outcome it was applied with (or pending, for reconciliation)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._received: dict[uuid.UUID, list[Any]] = {}

    def store(
        self,
        message_id: uuid.UUID,
        kind: str,
        bank_reference: str,
        end_to_end_id: uuid.UUID,
        body: dict[str, Any],
    ) -> None:
        self._received[message_id] = [kind, bank_reference, end_to_end_id, json.dumps(body), None]

    async def mark(self, message_id: uuid.UUID, outcome: str) -> None:
        """Record how the notice was applied (one received earlier: at once)."""
        if message_id in self._received:
            self._received[message_id][-1] = outcome
        else:
            await mark_notice(self._connection, message_id, outcome)

    async def flush(self, commit: AtCommit) -> None:
        received, self._received = self._received, {}
        commit.write_at_commit(
            _NOTICES, [(message_id, *notice) for message_id, notice in received.items()]
        )


_NOTICES = BulkStatement.over(
    """
    INSERT INTO bank_notices (message_id, kind, bank_reference, end_to_end_id, body,
                              applied_at, outcome)
    SELECT message_id, kind, bank_reference, end_to_end_id, body,
           CASE WHEN outcome IS NULL THEN NULL ELSE now() END, outcome
      FROM {rows}
    ON CONFLICT DO NOTHING
    """,
    message_id="uuid", kind="text", bank_reference="text", end_to_end_id="uuid",
    body="jsonb", outcome="text",
)  # fmt: skip


async def mark_notice(connection: Connection, message_id: uuid.UUID, outcome: str) -> None:
    await connection.execute(
        "UPDATE bank_notices SET applied_at = now(), outcome = $2 WHERE message_id = $1",
        message_id,
        outcome,
    )


async def pending_notices(connection: Connection, limit: int = 100) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT message_id, kind, body FROM bank_notices WHERE applied_at IS NULL
         ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED
        """,
        limit,
    )


class Statements:
    """The bank's statement pages, as they came (a page seen twice is kept once)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def store_page(
        self,
        statement_id: str,
        sequence: int,
        page: int,
        pages: int,
        account_number: str,
        period: tuple[dt.datetime, dt.datetime],
        lines: list[tuple[Any, ...]],
    ) -> bool:
        stored = await self._connection.fetchval(
            """
            INSERT INTO statements (statement_id, sequence, page, pages, account_number,
                                    period_start, period_end)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true
            """,
            statement_id,
            sequence,
            page,
            pages,
            account_number,
            *period,
        )
        if stored and lines:
            await self._connection.executemany(
                """
                INSERT INTO statement_lines (statement_id, page, line_no, bank_reference,
                    end_to_end_id, direction, amount_minor, currency, booked_at, description)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """,
                [(statement_id, page, n, *line) for n, line in enumerate(lines, 1)],
            )
        return bool(stored)


async def statement_debits_for_open_payouts(connection: Connection) -> list[asyncpg.Record]:
    """Statement debits naming a payout whose outcome is still open (sent or unknown)."""
    return await connection.fetch(
        """
        SELECT l.statement_id, l.page, l.line_no, l.bank_reference, l.booked_at,
               p.payout_id
          FROM statement_lines l JOIN payouts p ON p.payout_id = l.end_to_end_id
         WHERE l.direction = 'debit' AND p.state IN ('sent', 'unknown')
         ORDER BY l.booked_at
        """
    )


async def unknown_payouts_absent_from_statements(
    connection: Connection, grace: dt.timedelta
) -> list[uuid.UUID]:
    """Payouts without an answer that no statement shows, although a statement starting
    `grace` after their submission has arrived complete, with every statement before it
    (no gap in the sequence): the bank never executed them."""
    rows = await connection.fetch(
        """
        WITH complete AS (
            SELECT statement_id, min(sequence) AS sequence, min(period_start) AS period_start
              FROM statements GROUP BY statement_id HAVING count(*) = min(pages)
        ), gapless AS (
            SELECT c.period_start FROM complete c
             WHERE (SELECT count(*) FROM complete d WHERE d.sequence <= c.sequence) = c.sequence
        )
        SELECT p.payout_id FROM payouts p
         WHERE p.state = 'unknown'
           AND NOT EXISTS (SELECT 1 FROM statement_lines l WHERE l.end_to_end_id = p.payout_id)
           AND EXISTS (SELECT 1 FROM gapless g
                        WHERE g.period_start >= p.submitted_at + $1::interval)
        """,
        grace,
    )
    return [r["payout_id"] for r in rows]


async def match_statement_line(
    connection: Connection, statement_id: str, page: int, line_no: int, payout_id: uuid.UUID
) -> None:
    await connection.execute(
        """
        UPDATE statement_lines SET matched_payout_id = $4
         WHERE statement_id = $1 AND page = $2 AND line_no = $3
        """,
        statement_id,
        page,
        line_no,
        payout_id,
    )
