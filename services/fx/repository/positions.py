"""Open positions per payout currency, bounded by their exposure limits."""

from __future__ import annotations

from services.runtime.db import Connection


class Positions:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def grow(self, currency: str, amount_minor: int, limit: int) -> bool:
        """Adds to the open position unless that would pass `limit`; atomic across replicas."""
        grow = """
            UPDATE positions SET net_minor = net_minor + $2
             WHERE currency = $1 AND net_minor + $2 <= $3
            RETURNING net_minor
        """
        if await self._conn.fetchval(grow, currency, amount_minor, limit) is not None:
            return True
        if await self._conn.fetchval("SELECT true FROM positions WHERE currency = $1", currency):
            return False  # the limit
        # the currency's first position (an INSERT .. ON CONFLICT on an existing row would wait
        # for every transaction moving it: only when the row is missing)
        await self._conn.execute(
            "INSERT INTO positions (currency, net_minor) VALUES ($1, 0) ON CONFLICT DO NOTHING",
            currency,
        )
        return await self._conn.fetchval(grow, currency, amount_minor, limit) is not None

    async def lock_all(self) -> None:
        """Every open position, in currency order: a batch of conversions takes them up front,
        so that two replicas' batches never lock two currencies in opposite orders."""
        await self._conn.execute(
            "SELECT count(*) FROM (SELECT FROM positions ORDER BY currency FOR UPDATE) AS locked"
        )

    async def shrink(self, currency: str, amount_minor: int) -> None:
        await self._conn.execute(
            "UPDATE positions SET net_minor = net_minor - $2 WHERE currency = $1",
            currency,
            amount_minor,
        )
