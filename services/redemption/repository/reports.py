"""Reading the sagas for operators (cli.py): one redemption's summary and timeline, the
latest redemptions."""

from __future__ import annotations

import uuid
from typing import Any

from services.runtime.db import Connection


async def timeline(connection: Connection, redemption_id: uuid.UUID) -> list[dict[str, object]]:
    rows = await connection.fetch(
        """
        SELECT at, event, step, detail, message_id FROM saga_log
         WHERE redemption_id = $1 ORDER BY id
        """,
        redemption_id,
    )
    return [dict(row) for row in rows]


async def summary(connection: Connection, redemption_id: uuid.UUID) -> dict[str, object] | None:
    row = await connection.fetchrow(
        """
        SELECT redemption_id, status, payout_currency, amount_minor, requested_at, ended_at, saga
          FROM redemptions WHERE redemption_id = $1
        """,
        redemption_id,
    )
    return None if row is None else dict(row)


async def latest(connection: Connection, limit: int) -> list[dict[str, Any]]:
    rows = await connection.fetch(
        """
        SELECT redemption_id, status, payout_currency, amount_minor, requested_at, ended_at
          FROM redemptions ORDER BY requested_at DESC LIMIT $1
        """,
        limit,
    )
    return [dict(row) for row in rows]
