"""Operator commands of FX:

    python -m services.fx.cli book | positions | timeline REDEMPTION_ID   (read-only views)
    python -m services.fx.cli holds [--all]        # `make fx-review`: pairs held for review
    python -m services.fx.cli release PAIR         # `make fx-release PAIR=CNH/EUR`
    python -m services.fx.cli reject PAIR          # `make fx-reject PAIR=CNH/EUR`

The views show the rate book with each rate's age, open positions against their limits, and
a redemption's quotes, conversion, reversal or cancellation with its journal movements.
A release accepts the hold's latest held rate into the book (unless the book moved past it
meanwhile) and quoting resumes; a reject discards the held rates and quoting resumes on the
book as it is. Both are recorded with the operator's name.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid

import asyncpg

from schemas.rates import CurrencyPair
from services.fx.domain.rates import RateUpdate, Refused, payout_currency
from services.fx.repository.holds import RateHolds
from services.fx.repository.rates import RateBook
from services.fx.settings import FxSettings
from services.runtime.db import Connection

_TIMELINE = """
    SELECT 'quote' AS what, issued_at AS at,
           format('%s: sell %s fen, fee %s, buy %s %s at %s, expires %s, used %s',
                  quote_id, sell_minor, fee_minor, buy_minor, currency, rate, expires_at,
                  coalesce(used_at::text, 'no')) AS detail
      FROM quotes WHERE redemption_id = $1
    UNION ALL
    SELECT 'conversion', executed_at, format('%s with quote %s', conversion_id, quote_id)
      FROM conversions WHERE redemption_id = $1
    UNION ALL
    SELECT 'reversal', reversed_at,
           format('returned %s fen; issuer loss %s fen, gain %s minor %s at mid %s of %s',
                  returned_minor, issuer_loss_minor, issuer_gain_minor, issuer_gain_currency,
                  market_per_cnh, market_as_of)
      FROM reversals WHERE redemption_id = $1
    UNION ALL
    SELECT 'cancelled', cancelled_at, 'reversal before any execution' FROM cancellations
     WHERE redemption_id = $1
    UNION ALL
    SELECT 'movement ' || e.kind, e.created_at,
           format('%s -> %s %s %s (%s)', m.source, m.destination, m.amount, m.currency, m.memo)
      FROM journal_entries e JOIN movements m USING (entry_id) WHERE e.redemption_id = $1
    ORDER BY at, what
"""


def currency_of(pair: str) -> str:
    """`CNH/EUR`, `EUR/CNH` or `EUR` -> the payout currency the book keys it by."""
    base, slash, quote = pair.strip().upper().partition("/")
    if not slash:
        return base
    currency = payout_currency(CurrencyPair(base=base, quote=quote))
    if isinstance(currency, Refused):
        raise ValueError(currency.detail)
    return currency


async def _holds(conn: Connection, *, open_only: bool) -> None:
    rows = await RateHolds(conn).holds(open_only=open_only)
    if not rows:
        print("no pair is held for review" if open_only else "no holds")
    for r in rows:
        closed = f" by {r['closed_by']} at {r['closed_at']}" if r["closed_by"] else ""
        print(
            f"CNH/{r['currency']} {r['state']}{closed} since {r['opened_at']}: {r['detail']}\n"
            f"    first held {r['pair']} {r['first_mid']} as of {r['first_as_of']};"
            f" latest {r['last_mid']} as of {r['last_as_of']}"
        )


async def _decide(conn: Connection, currency: str, decision: str) -> int:
    """Close the currency's open hold as released or rejected; a release applies its latest
    held rate when it is newer than the book's."""
    operator = f"operator:{getpass.getuser()}"
    book, holds = RateBook(conn), RateHolds(conn)
    async with conn.transaction():
        await book.lock_currency(currency)
        hold = await holds.open_hold(currency)
        if hold is None:
            print(f"CNH/{currency} is not held for review", file=sys.stderr)
            return 2
        await holds.close_hold(hold.hold_id, decision, operator)
        if decision == "rejected":
            print(f"CNH/{currency}: held rates rejected; quoting resumes on the book's rate")
            return 0
        held = await book.rate_update(hold.last_update_id)
        current = await book.book_rate(currency)
        if current is not None and current.rate.as_of >= held.rate.as_of:
            print(f"CNH/{currency}: released; the book's rate is newer than the held one")
            return 0
        update_id = await book.record_rate_update(
            RateUpdate(held.pair, held.mid, held.rate, source=f"review:{operator}")
        )
        await book.set_book_rate(held.rate, update_id)
    print(f"CNH/{currency}: released; {held.pair} {held.mid} of {held.rate.as_of} is the mid")
    return 0


async def _run(args: argparse.Namespace, settings: FxSettings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        if args.view == "holds":
            await _holds(conn, open_only=not args.all)
            return 0
        if args.view in ("release", "reject"):
            decision = "released" if args.view == "release" else "rejected"
            return await _decide(conn, currency_of(args.pair), decision)
        if args.view == "book":
            rows = await conn.fetch(
                "SELECT currency, per_cnh, as_of, now() - as_of AS age FROM rates ORDER BY 1"
            )
        elif args.view == "positions":
            rows = await conn.fetch("SELECT currency, net_minor FROM positions ORDER BY 1")
            limits = settings.exposure_limits
            for row in rows:
                print(f"{row['currency']}: {row['net_minor']} of {limits.get(row['currency'], 0)}")
            return 0
        else:
            rows = await conn.fetch(_TIMELINE, uuid.UUID(args.redemption_id))
        for row in rows:
            print("  ".join(str(value) for value in row.values()))
        return 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "view", choices=["book", "positions", "timeline", "holds", "release", "reject"]
    )
    parser.add_argument("subject", nargs="?", help="a redemption id (timeline), a pair")
    parser.add_argument("--all", action="store_true", help="holds: closed ones too")
    args = parser.parse_args(argv)
    if args.view == "timeline":
        if not args.subject:
            parser.error("timeline needs a redemption id")
        args.redemption_id = args.subject
    if args.view in ("release", "reject"):
        if not args.subject:
            parser.error(f"{args.view} needs a pair, e.g. CNH/EUR")
        args.pair = args.subject
    return asyncio.run(_run(args, FxSettings(service="fx")))


if __name__ == "__main__":
    sys.exit(main())
