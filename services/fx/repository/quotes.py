"""Firm quotes, and what one is priced and bounded with."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from schemas.money import PAR_CURRENCY, Money
from services.fx.domain.quotes import Quote, QuoteBasis
from services.fx.domain.rates import BookEntry, BookRate
from services.runtime.db import Connection


class Quotes:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def quote_basis(self, currency: str) -> QuoteBasis:
        row = await self._conn.fetchrow(
            """
            SELECT r.per_cnh, r.as_of, r.update_id,
                   (SELECT net_minor FROM positions WHERE currency = $1) AS net_minor,
                   EXISTS (SELECT 1 FROM rate_holds WHERE currency = $1 AND state = 'open')
                       AS under_review
              FROM (SELECT 1) AS one LEFT JOIN rates AS r ON r.currency = $1
            """,
            currency,
        )
        assert row is not None  # one row, whatever the tables hold
        entry = (
            None
            if row["per_cnh"] is None
            else BookEntry(BookRate(currency, row["per_cnh"], row["as_of"]), row["update_id"])
        )
        return QuoteBasis(entry, row["net_minor"] or 0, row["under_review"])

    async def insert_quote(
        self,
        quote: Quote,
        *,
        rate_update_id: int,
        issued_at: dt.datetime,
        command_id: uuid.UUID,
    ) -> None:
        await self._conn.execute(
            """
            INSERT INTO quotes (quote_id, redemption_id, sell_minor, fee_minor, currency,
                                buy_minor, rate, mid, remainder, spread, rate_update_id,
                                issued_at, expires_at, command_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """,
            quote.quote_id,
            quote.redemption_id,
            quote.sell.amount_minor,
            quote.fee.amount_minor,
            quote.buy.currency,
            quote.buy.amount_minor,
            quote.rate,
            quote.mid,
            quote.remainder,
            quote.spread,
            rate_update_id,
            issued_at,
            quote.expires_at,
            command_id,
        )

    async def lock_quote(self, quote_id: uuid.UUID) -> Quote | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM quotes WHERE quote_id = $1 FOR UPDATE", quote_id
        )
        return quote_of_row(row) if row else None


def quote_of_row(row: asyncpg.Record) -> Quote:
    return Quote(
        quote_id=row["quote_id"],
        redemption_id=row["redemption_id"],
        sell=Money(amount_minor=row["sell_minor"], currency=PAR_CURRENCY),
        fee=Money(amount_minor=row["fee_minor"], currency=PAR_CURRENCY),
        buy=Money(amount_minor=row["buy_minor"], currency=row["currency"]),
        rate=row["rate"],
        mid=row["mid"],
        remainder=row["remainder"],
        spread=row["spread"],
        expires_at=row["expires_at"],
        used=row["used_at"] is not None,
    )
