"""FX's SQL: one function per query. Every write happens in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from schemas.money import PAR_CURRENCY, Money
from services.fx.domain.ledger import Movement, Trade
from services.fx.domain.rates import BookRate
from services.fx.domain.review import Held, ReviewWindow
from services.runtime.db import Connection, columns
from services.runtime.unit_of_work import AtCommit

# --- locks: writers of one currency's rate, or of one redemption, are serialised -------


async def lock_currency(conn: Connection, currency: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('fx.rate:' || $1))", currency)


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


# --- the rate book ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookEntry:
    rate: BookRate
    update_id: int


async def book_rate(conn: Connection, currency: str) -> BookEntry | None:
    row = await conn.fetchrow(
        "SELECT per_cnh, as_of, update_id FROM rates WHERE currency = $1", currency
    )
    if row is None:
        return None
    return BookEntry(BookRate(currency, row["per_cnh"], row["as_of"]), row["update_id"])


async def record_rate_update(
    conn: Connection,
    *,
    pair: str,
    mid: str,
    rate: BookRate,
    source: str,
    message_id: uuid.UUID | None,
    refusal: tuple[str, str] | None,
) -> int:
    update_id: int = await conn.fetchval(
        """
        INSERT INTO rate_updates
            (currency, pair, mid, per_cnh, as_of, source, message_id, accepted, reason, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING id
        """,
        rate.currency,
        pair,
        mid,
        rate.per_cnh,
        rate.as_of,
        source,
        message_id,
        refusal is None,
        refusal[0] if refusal else None,
        refusal[1] if refusal else None,
    )
    return update_id


async def set_book_rate(conn: Connection, rate: BookRate, update_id: int) -> None:
    await conn.execute(
        """
        INSERT INTO rates (currency, per_cnh, as_of, update_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (currency) DO UPDATE
           SET per_cnh = EXCLUDED.per_cnh, as_of = EXCLUDED.as_of, update_id = EXCLUDED.update_id
        """,
        rate.currency,
        rate.per_cnh,
        rate.as_of,
        update_id,
    )


async def window_medians(
    conn: Connection, currency: str, now: dt.datetime, windows: Sequence[ReviewWindow]
) -> list[Decimal | None]:
    """The median of the accepted rates of each window (domain/review.py window_median),
    read through the partial index of accepted rates."""
    if not windows:
        return []
    rows = await conn.fetch(
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


# --- rate review: holds on a pair -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateHold:
    hold_id: int
    currency: str
    last_update_id: int


async def open_hold(conn: Connection, currency: str) -> RateHold | None:
    row = await conn.fetchrow(
        "SELECT hold_id, currency, last_update_id FROM rate_holds"
        " WHERE currency = $1 AND state = 'open'",
        currency,
    )
    return RateHold(row["hold_id"], row["currency"], row["last_update_id"]) if row else None


async def insert_hold(conn: Connection, currency: str, update_id: int, held: Held) -> None:
    await conn.execute(
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


async def extend_hold(conn: Connection, hold_id: int, update_id: int) -> None:
    """A later rate held while the hold is open: the one a release would apply."""
    await conn.execute(
        "UPDATE rate_holds SET last_update_id = $2 WHERE hold_id = $1", hold_id, update_id
    )


async def close_hold(conn: Connection, hold_id: int, state: str, by: str) -> None:
    await conn.execute(
        "UPDATE rate_holds SET state = $2, closed_at = now(), closed_by = $3 WHERE hold_id = $1",
        hold_id,
        state,
        by,
    )


@dataclass(frozen=True, slots=True)
class RecordedRate:
    pair: str
    mid: str
    rate: BookRate
    source: str


async def rate_update(conn: Connection, update_id: int) -> RecordedRate:
    row = await conn.fetchrow(
        "SELECT currency, pair, mid, per_cnh, as_of, source FROM rate_updates WHERE id = $1",
        update_id,
    )
    assert row is not None  # a foreign key
    rate = BookRate(row["currency"], row["per_cnh"], row["as_of"])
    return RecordedRate(row["pair"], row["mid"], rate, row["source"])


async def holds(conn: Connection, *, open_only: bool) -> list[asyncpg.Record]:
    """For operators: each hold with the rate that opened it and the latest held."""
    return await conn.fetch(
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


# --- quotes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quote:
    quote_id: uuid.UUID
    redemption_id: uuid.UUID
    sell: Money
    fee: Money
    buy: Money
    rate: str
    mid: Decimal
    remainder: Decimal
    spread: Decimal
    expires_at: dt.datetime
    used: bool

    @property
    def trade(self) -> Trade:
        return Trade(
            currency=self.buy.currency,
            fee_minor=self.fee.amount_minor,
            net_minor=self.sell.amount_minor - self.fee.amount_minor,
            buy_minor=self.buy.amount_minor,
            remainder=self.remainder,
            spread=self.spread,
        )


async def insert_quote(
    conn: Connection,
    quote: Quote,
    *,
    rate_update_id: int,
    issued_at: dt.datetime,
    command_id: uuid.UUID,
) -> None:
    await conn.execute(
        """
        INSERT INTO quotes (quote_id, redemption_id, sell_minor, fee_minor, currency, buy_minor,
                            rate, mid, remainder, spread, rate_update_id, issued_at, expires_at,
                            command_id)
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


async def lock_quote(conn: Connection, quote_id: uuid.UUID) -> Quote | None:
    row = await conn.fetchrow("SELECT * FROM quotes WHERE quote_id = $1 FOR UPDATE", quote_id)
    return _quote(row) if row else None


@dataclass(frozen=True, slots=True)
class Execution:
    """What executing a quote for a redemption depends on, read in one statement."""

    cancelled: bool
    quote: Quote | None
    """Locked."""
    converted_with: uuid.UUID | None
    """The quote of the redemption's conversion, if there is one."""


async def execution_of(
    conn: Connection, redemption_id: uuid.UUID, quote_id: uuid.UUID
) -> Execution:
    """The redemption must be locked (`lock_redemptions`): nothing here changes meanwhile."""
    row = await conn.fetchrow(
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
        return Execution(await is_cancelled(conn, redemption_id), None, None)
    return Execution(row["cancelled"], _quote(row), row["converted_with"])


def _quote(row: asyncpg.Record) -> Quote:
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


# --- conversions, reversals, cancellations ------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    conversion_id: uuid.UUID
    quote_id: uuid.UUID
    reversed: bool


async def conversion_of(conn: Connection, redemption_id: uuid.UUID) -> Conversion | None:
    row = await conn.fetchrow(
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
    conn: Connection,
    conversion_id: uuid.UUID,
    quote: Quote,
    *,
    at: dt.datetime,
    command_id: uuid.UUID,
    accepted_at: dt.datetime | None = None,
    market_mid: Decimal | None = None,
) -> None:
    """The conversion, and its quote marked used, in one statement. `market_mid`: the mid a
    quote honoured after its expiry was honoured against."""
    await conn.execute(
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


async def is_cancelled(conn: Connection, redemption_id: uuid.UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM cancellations WHERE redemption_id = $1)", redemption_id
    )
    return found


async def cancel(
    conn: Connection, redemption_id: uuid.UUID, *, at: dt.datetime, command_id: uuid.UUID
) -> None:
    await conn.execute(
        """
        INSERT INTO cancellations (redemption_id, cancelled_at, command_id) VALUES ($1, $2, $3)
        ON CONFLICT (redemption_id) DO NOTHING
        """,
        redemption_id,
        at,
        command_id,
    )


@dataclass(frozen=True, slots=True)
class Reversal:
    conversion_id: uuid.UUID
    redemption_id: uuid.UUID
    returned: Money
    market: BookRate
    issuer_loss: Money
    issuer_gain: Money


async def insert_reversal(
    conn: Connection, reversal: Reversal, *, at: dt.datetime, command_id: uuid.UUID
) -> None:
    await conn.execute(
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


async def quote_of(conn: Connection, conversion_id: uuid.UUID) -> Quote:
    quote_id = await conn.fetchval(
        "SELECT quote_id FROM conversions WHERE conversion_id = $1", conversion_id
    )
    quote = await lock_quote(conn, quote_id)
    assert quote is not None  # a foreign key
    return quote


# --- the journal --------------------------------------------------------------------


async def post_entry(
    conn: Connection,
    *,
    entry_id: uuid.UUID,
    kind: str,
    redemption_id: uuid.UUID,
    conversion_id: uuid.UUID,
    command_id: uuid.UUID,
    movements: Sequence[Movement],
) -> None:
    """The entry and its movements, in one statement."""
    await conn.execute(
        """
        WITH entry AS (
            INSERT INTO journal_entries (entry_id, kind, redemption_id, conversion_id, command_id)
            VALUES ($1, $2, $3, $4, $5)
        )
        INSERT INTO movements (entry_id, source, destination, currency, amount, memo)
        SELECT $1, * FROM unnest($6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[])
        """,
        entry_id,
        kind,
        redemption_id,
        conversion_id,
        command_id,
        *columns(
            [(str(m.source), str(m.destination), m.currency, m.amount, m.memo) for m in movements],
            5,
        ),
    )


# --- open positions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteBasis:
    """What a quote is priced and bounded with, read in one statement."""

    entry: BookEntry | None
    position: int
    under_review: bool
    """The pair is held for review: nothing is quoted until an operator decides."""


async def quote_basis(conn: Connection, currency: str) -> QuoteBasis:
    row = await conn.fetchrow(
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


async def grow_position(conn: Connection, currency: str, amount_minor: int, limit: int) -> bool:
    """Adds to the open position unless that would pass `limit`; atomic across replicas."""
    grow = """
        UPDATE positions SET net_minor = net_minor + $2
         WHERE currency = $1 AND net_minor + $2 <= $3
        RETURNING net_minor
    """
    if await conn.fetchval(grow, currency, amount_minor, limit) is not None:
        return True
    if await conn.fetchval("SELECT true FROM positions WHERE currency = $1", currency):
        return False  # the limit
    # the currency's first position (an INSERT .. ON CONFLICT on an existing row would wait
    # for every transaction moving it: only when the row is missing)
    await conn.execute(
        "INSERT INTO positions (currency, net_minor) VALUES ($1, 0) ON CONFLICT DO NOTHING",
        currency,
    )
    return await conn.fetchval(grow, currency, amount_minor, limit) is not None


async def lock_positions(conn: Connection) -> None:
    """Every open position, in currency order: a batch of conversions takes them up front,
    so that two replicas' batches never lock two currencies in opposite orders."""
    await conn.execute(
        "SELECT count(*) FROM (SELECT FROM positions ORDER BY currency FOR UPDATE) AS locked"
    )


async def shrink_position(conn: Connection, currency: str, amount_minor: int) -> None:
    await conn.execute(
        "UPDATE positions SET net_minor = net_minor - $2 WHERE currency = $1",
        currency,
        amount_minor,
    )
