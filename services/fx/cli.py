"""Operator views of FX: `python -m services.fx.cli book | positions | timeline REDEMPTION_ID`.

Read-only: the rate book with each rate's age, open positions against their limits, and a
redemption's quotes, conversion, reversal or cancellation with its journal movements.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid

import asyncpg

from services.fx.settings import FxSettings

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


async def _run(args: argparse.Namespace, settings: FxSettings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        if args.view == "book":
            rows = await conn.fetch(
                "SELECT currency, per_cnh, as_of, now() - as_of AS age FROM rates ORDER BY 1"
            )
        elif args.view == "positions":
            rows = await conn.fetch("SELECT currency, net_minor FROM positions ORDER BY 1")
            limits = settings.exposure_limits
            for row in rows:
                print(f"{row['currency']}: {row['net_minor']} of {limits.get(row['currency'], 0)}")
            return
        else:
            rows = await conn.fetch(_TIMELINE, uuid.UUID(args.redemption_id))
        for row in rows:
            print("  ".join(str(value) for value in row.values()))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("view", choices=["book", "positions", "timeline"])
    parser.add_argument("redemption_id", nargs="?")
    args = parser.parse_args()
    if args.view == "timeline" and not args.redemption_id:
        parser.error("timeline needs a redemption id")
    asyncio.run(_run(args, FxSettings(service="fx")))


if __name__ == "__main__":
    main()
