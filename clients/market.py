"""A market-data feed: publishes reference rates on fx.rates every few seconds, as a real
feed would, so quotes are priced off fresh rates."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from clients.outside import Outside
from schemas.fx import ReferenceRate
from schemas.rates import CurrencyPair

MIDS = {"USD": "0.1389", "HKD": "1.0850", "EUR": "0.1280"}
"""CNH -> currency: units of the currency per one CNH."""


async def publish_rates(outside: Outside, mids: dict[str, str] = MIDS) -> None:
    now = dt.datetime.now(dt.UTC)
    for currency, mid in mids.items():
        rate = ReferenceRate(
            pair=CurrencyPair(base="CNH", quote=currency), mid=mid, as_of=now, source="demo-feed"
        )
        await outside.send(
            "fx.rates", f"CNH/{currency}", rate, correlation_id=uuid.uuid4(), producer="market-data"
        )
    await outside.flush()


async def feed(outside: Outside, every_s: float = 5.0, mids: dict[str, str] = MIDS) -> None:
    """Publish until cancelled."""
    while True:
        await publish_rates(outside, mids)
        await asyncio.sleep(every_s)
