"""The configured seed rates, applied once at startup for currencies the book lacks.

The seed is taken as fresh at startup (as_of = now) and stays quotable for
`fx_max_rate_age_s`; afterwards only the fx.rates feed keeps the book quotable. It exists
for development and tests: production must feed fx.rates. A currency that already has a rate
(from the feed or an earlier seed) is left alone, so a restart never refreshes an old rate.
"""

from __future__ import annotations

import datetime as dt

from services.fx.domain.rates import (
    BookRate,
    RateUpdate,
    Refused,
    parse_seed,
    payout_currency,
    per_cnh,
)
from services.fx.repository.rates import RateBook
from services.fx.settings import FxSettings
from services.runtime.db import create_pool
from services.runtime.logging import get_logger
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)


async def seed_rates(settings: FxSettings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        for pair, mid in parse_seed(settings.fx_seed_rates):
            currency = payout_currency(pair)
            assert not isinstance(currency, Refused)  # parse_seed checked it
            async with UnitOfWork(pool) as uow:
                book = RateBook(uow.connection)
                await book.lock_currency(currency)
                if await book.book_rate(currency) is not None:
                    continue
                rate = BookRate(currency, per_cnh(pair, mid), dt.datetime.now(dt.UTC))
                update_id = await book.record_rate_update(
                    RateUpdate(str(pair), mid, rate, source="seed")
                )
                await book.set_book_rate(rate, update_id)
                await uow.commit()
                log.info("seed rate applied", currency=currency, per_cnh=str(rate.per_cnh))
    finally:
        await pool.close()
