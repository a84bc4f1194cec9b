"""Rate review: holds on a pair."""

from __future__ import annotations

import asyncpg

from services.fx.domain.review import Held, RateHold
from services.runtime.db import Connection


class RateHolds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def open_hold(self, currency: str) -> RateHold | None:
        row = await self._conn.fetchrow(
            "SELECT hold_id, currency, last_update_id FROM rate_holds"
            " WHERE currency = $1 AND state = 'open'",
            currency,
        )
        return RateHold(row["hold_id"], row["currency"], row["last_update_id"]) if row else None

    async def insert_hold(self, currency: str, update_id: int, held: Held) -> None:
        await self._conn.execute(
            """
            INSERT INTO rate_holds (currency, first_update_id, last_update_id, anchor, drift_bps,
                                    bound_bps, window_s, detail)
            VALUES ($1, $2, $2, $3, $4, $5, $6, $7)
            """,
            currency,
            update_id,
            held.anchor.median,
            held.drift_bps,
            held.anchor.window.max_drift_bps,
            held.anchor.window.span_s,
            held.detail,
        )

    async def extend_hold(self, hold_id: int, update_id: int) -> None:
        """A later rate held while the hold is open: the one a release would apply."""
        await self._conn.execute(
            "UPDATE rate_holds SET last_update_id = $2 WHERE hold_id = $1", hold_id, update_id
        )

    async def close_hold(self, hold_id: int, state: str, by: str) -> None:
        await self._conn.execute(
            "UPDATE rate_holds SET state = $2, closed_at = now(), closed_by = $3"
            " WHERE hold_id = $1",
            hold_id,
            state,
            by,
        )

    async def holds(self, *, open_only: bool) -> list[asyncpg.Record]:
        """For operators: each hold with the rate that opened it and the latest held."""
        return await self._conn.fetch(
            """
            SELECT h.hold_id, h.currency, h.state, h.opened_at, h.detail,
                   f.pair, f.mid AS first_mid, f.as_of AS first_as_of,
                   l.mid AS last_mid, l.as_of AS last_as_of, h.closed_by, h.closed_at
              FROM rate_holds h
              JOIN rate_updates f ON f.id = h.first_update_id
              JOIN rate_updates l ON l.id = h.last_update_id
             WHERE NOT $1 OR h.state = 'open'
             ORDER BY h.hold_id
            """,
            open_only,
        )
