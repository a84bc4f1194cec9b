"""`python -m services.fx`: the FX-conversion service (rates, quotes, conversions); the one
place that builds its settings, terms, subscriptions and startup steps."""

from __future__ import annotations

from pathlib import Path

from services.fx.handlers import build_subscriptions
from services.fx.seed import seed_rates
from services.fx.settings import FxSettings
from services.runtime.service import Service, run

MIGRATIONS = Path(__file__).parent / "migrations"


async def main() -> None:
    settings = FxSettings(service="fx")

    # The seed must be in the book before the first command is consumed: a setup step runs
    # after the migrations, before the subscribers start.
    async def seed(_service: Service) -> None:
        await seed_rates(settings)

    subscriptions = build_subscriptions(settings.terms)
    await Service(settings, subscriptions, MIGRATIONS, setup=[seed]).run()


if __name__ == "__main__":
    run(main())
