"""The configured seed rates, applied once at startup for currencies the book lacks.

The seed is taken as fresh at startup (as_of = now) and stays quotable for
`fx_max_rate_age_s`; afterwards only the fx.rates feed keeps the book quotable. It exists
for development and tests: production must feed fx.rates. A currency that already has a rate
(from the feed or an earlier seed) is left alone, so a restart never refreshes an old rate.
"""

from __future__ import annotations

from services.fx import repository
from services.fx.domain.rates import BookRate, Refused, parse_seed, payout_currency, per_cnh
from services.fx.handlers import utc_now
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
                await repository.lock_currency(uow.connection, currency)
                if await repository.book_rate(uow.connection, currency) is not None:
                    continue
                rate = BookRate(currency, per_cnh(pair, mid), utc_now())
                update_id = await repository.record_rate_update(
                    uow.connection,
                    pair=str(pair),
                    mid=mid,
                    rate=rate,
                    source="seed",
                    message_id=None,
                    refusal=None,
                )
                await repository.set_book_rate(uow.connection, rate, update_id)
                await uow.commit()
                log.info("seed rate applied", currency=currency, per_cnh=str(rate.per_cnh))
    finally:
        await pool.close()
