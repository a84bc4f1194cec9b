"""`python -m services.redemption`: the saga orchestrator as its own process, its one
composition root: settings, the subscriptions, the receivers' positions and the watchdog."""

from __future__ import annotations

from pathlib import Path

from services.redemption.adapters.receivers import Receivers
from services.redemption.handlers import subscriptions
from services.redemption.settings import RedemptionSettings
from services.redemption.watchdog import Watchdog
from services.runtime.service import BackgroundTask, Service, run

MIGRATIONS = Path(__file__).parent / "migrations"


def main() -> None:
    settings = RedemptionSettings(service="redemption")
    receivers = Receivers(settings)
    tasks: list[BackgroundTask] = [receivers.watch, Watchdog(receivers)]
    service = Service(settings, subscriptions(settings.timing), MIGRATIONS, tasks=tasks)
    run(service.run())


if __name__ == "__main__":
    main()
