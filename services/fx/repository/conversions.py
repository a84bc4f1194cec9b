"""Conversions, their reversals and cancellations: one of each per redemption."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from services.fx.domain.conversions import Conversion, Execution, Reversal
from services.fx.domain.quotes import Quote
from services.fx.repository.quotes import Quotes, quote_of_row
from services.runtime.db import Connection
from services.runtime.unit_of_work import AtCommit


class RedemptionLocks:
    """Serialises the conversion commands of each redemption (execute, reverse, cancel). A
    batch takes the locks of all its redemptions up front, in one statement and one order;
    the transaction holds them to its end."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._held: set[uuid.UUID] = set()

    async def lock(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(redemption_ids) - self._held
        if not wanted:
            return
        await self._conn.execute(
            "SELECT count(pg_advisory_xact_lock(hashtext('fx.redemption:' || r)))"
            " FROM (SELECT unnest($1::text[]) AS r ORDER BY 1) AS l",
            sorted(str(r) for r in wanted),
        )
        self._held |= wanted

    async def flush(self, commit: AtCommit) -> None:
        """Nothing to write: the locks go with the transaction."""
        self._held.clear()


class Conversions:
    def __init__(self, conn: Connection, locks: RedemptionLocks) -> None:
        self._conn = conn
        self._locks = locks

    async def lock(self, redemption_id: uuid.UUID) -> None:
        """The redemption's conversion commands wait for each other (see RedemptionLocks)."""
        await self._locks.lock([redemption_id])

    async def execution_of(self, redemption_id: uuid.UUID, quote_id: uuid.UUID) -> Execution:
        """The redemption must be locked (`lock`): nothing here changes meanwhile."""
        row = await self._conn.fetchrow(
            """
            SELECT q.*,
                   EXISTS (SELECT 1 FROM cancellations WHERE redemption_id = $2) AS cancelled,
                   (SELECT quote_id FROM conversions WHERE redemption_id = $2) AS converted_with
              FROM quotes q
             WHERE q.quote_id = $1
               FOR UPDATE OF q
            """,
            quote_id,
            redemption_id,
        )
        if row is None:
            return Execution(await self.is_cancelled(redemption_id), None, None)
        return Execution(row["cancelled"], quote_of_row(row), row["converted_with"])

    async def conversion_of(self, redemption_id: uuid.UUID) -> Conversion | None:
        row = await self._conn.fetchrow(
            """
            SELECT c.conversion_id, c.quote_id, r.conversion_id IS NOT NULL AS reversed
              FROM conversions c LEFT JOIN reversals r USING (conversion_id)
             WHERE c.redemption_id = $1
            """,
            redemption_id,
        )
        if row is None:
            return None
        return Conversion(row["conversion_id"], row["quote_id"], row["reversed"])

    async def insert_conversion(
        self,
        conversion_id: uuid.UUID,
        quote: Quote,
        *,
        at: dt.datetime,
        command_id: uuid.UUID,
        accepted_at: dt.datetime | None = None,
        market_mid: Decimal | None = None,
    ) -> None:
        """The conversion, and its quote marked used, in one statement. `market_mid`: the mid
        a quote honoured after its expiry was honoured against."""
        await self._conn.execute(
            """
            WITH used AS (UPDATE quotes SET used_at = $4 WHERE quote_id = $3)
            INSERT INTO conversions (conversion_id, redemption_id, quote_id, executed_at,
                                     command_id, accepted_at, market_mid)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            conversion_id,
            quote.redemption_id,
            quote.quote_id,
            at,
            command_id,
            accepted_at,
            market_mid,
        )

    async def is_cancelled(self, redemption_id: uuid.UUID) -> bool:
        found: bool = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM cancellations WHERE redemption_id = $1)", redemption_id
        )
        return found

    async def cancel(
        self, redemption_id: uuid.UUID, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO cancellations (redemption_id, cancelled_at, command_id)
            VALUES ($1, $2, $3)
            ON CONFLICT (redemption_id) DO NOTHING
            """,
            redemption_id,
            at,
            command_id,
        )

    async def insert_reversal(
        self, reversal: Reversal, *, at: dt.datetime, command_id: uuid.UUID
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO reversals (conversion_id, redemption_id, returned_minor, market_per_cnh,
                                   market_as_of, issuer_loss_minor, issuer_gain_minor,
                                   issuer_gain_currency, reversed_at, command_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            reversal.conversion_id,
            reversal.redemption_id,
            reversal.returned.amount_minor,
            reversal.market.per_cnh,
            reversal.market.as_of,
            reversal.issuer_loss.amount_minor,
            reversal.issuer_gain.amount_minor,
            reversal.issuer_gain.currency,
            at,
            command_id,
        )

    async def quote_of(self, conversion_id: uuid.UUID) -> Quote:
        """The conversion's quote, locked."""
        quote_id = await self._conn.fetchval(
            "SELECT quote_id FROM conversions WHERE conversion_id = $1", conversion_id
        )
        quote = await Quotes(self._conn).lock_quote(quote_id)
        assert quote is not None  # a foreign key
        return quote
