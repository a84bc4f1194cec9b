"""The rate book: one mid per payout currency, and every reference rate as recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.fx.domain.rates import BookEntry, BookRate, RateUpdate
from services.fx.domain.review import ReviewWindow
from services.runtime.db import Connection


@dataclass(frozen=True, slots=True)
class RecordedRate:
    pair: str
    mid: str
    rate: BookRate
    source: str


class RateBook:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_currency(self, currency: str) -> None:
        """Writers of one currency's rate are serialised."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('fx.rate:' || $1))", currency
        )

    async def book_rate(self, currency: str) -> BookEntry | None:
        row = await self._conn.fetchrow(
            "SELECT per_cnh, as_of, update_id FROM rates WHERE currency = $1", currency
        )
        if row is None:
            return None
        return BookEntry(BookRate(currency, row["per_cnh"], row["as_of"]), row["update_id"])

    async def record_rate_update(self, update: RateUpdate) -> int:
        rate, refusal = update.rate, update.refusal
        update_id: int = await self._conn.fetchval(
            """
            INSERT INTO rate_updates
                (currency, pair, mid, per_cnh, as_of, source, message_id, accepted, reason, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            RETURNING id
            """,
            rate.currency,
            update.pair,
            update.mid,
            rate.per_cnh,
            rate.as_of,
            update.source,
            update.message_id,
            refusal is None,
            refusal[0] if refusal else None,
            refusal[1] if refusal else None,
        )
        return update_id

    async def set_book_rate(self, rate: BookRate, update_id: int) -> None:
        await self._conn.execute(
            """
            INSERT INTO rates (currency, per_cnh, as_of, update_id) VALUES ($1, $2, $3, $4)
            ON CONFLICT (currency) DO UPDATE
               SET per_cnh = EXCLUDED.per_cnh, as_of = EXCLUDED.as_of,
                   update_id = EXCLUDED.update_id
            """,
            rate.currency,
            rate.per_cnh,
            rate.as_of,
            update_id,
        )

    async def window_medians(
        self, currency: str, now: dt.datetime, windows: Sequence[ReviewWindow]
    ) -> list[Decimal | None]:
        """The lower median of the accepted rates of each window (an accepted rate itself,
        never an average of two), read through the partial index of accepted rates."""
        if not windows:
            return []
        rows = await self._conn.fetch(
            """
            SELECT (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY u.per_cnh)
                      FROM rate_updates u
                     WHERE u.currency = $1 AND u.accepted
                       AND u.as_of >= $2::timestamptz - make_interval(secs => w.span)) AS median
              FROM unnest($3::int[]) WITH ORDINALITY AS w(span, n)
             ORDER BY w.n
            """,
            currency,
            now,
            [w.span_s for w in windows],
        )
        return [row["median"] for row in rows]

    async def rate_update(self, update_id: int) -> RecordedRate:
        row = await self._conn.fetchrow(
            "SELECT currency, pair, mid, per_cnh, as_of, source FROM rate_updates WHERE id = $1",
            update_id,
        )
        assert row is not None  # a foreign key
        rate = BookRate(row["currency"], row["per_cnh"], row["as_of"])
        return RecordedRate(row["pair"], row["mid"], rate, row["source"])
