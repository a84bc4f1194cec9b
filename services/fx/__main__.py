"""`python -m services.fx`: the FX-conversion service (rates, quotes, conversions)."""

from __future__ import annotations

from pathlib import Path

from services.fx.handlers import build_subscriptions
from services.fx.seed import seed_rates
from services.fx.settings import FxSettings
from services.runtime.logging import configure_logging
from services.runtime.migrate import upgrade_async
from services.runtime.service import Service, run

MIGRATIONS = Path(__file__).parent / "migrations"


async def main() -> None:
    settings = FxSettings(service="fx")
    configure_logging(settings.service, settings.log_level, settings.log_format)
    # The seed must be in the book before the first command is consumed: migrate and seed
    # here, before the service starts its subscribers (its own migration is then a no-op).
    await upgrade_async(settings.database_url, MIGRATIONS)
    await seed_rates(settings)
    await Service(settings, build_subscriptions(settings), MIGRATIONS).run()


if __name__ == "__main__":
    run(main())
