"""`python -m services.settlement`: the settlement service, paying through the bank's HTTP
payment API (the simulated bank is an outside process: `python -m simulators.bank`)."""

from __future__ import annotations

from pathlib import Path

from services.runtime.service import BackgroundTask, Service, run
from services.settlement import reconciliation, reserve_watch, unanswered
from services.settlement.handlers import build_subscriptions
from services.settlement.settings import SettlementSettings
from services.settlement.use_cases.work import Terms

MIGRATIONS = Path(__file__).parent / "migrations"


def build() -> Service:
    settings = SettlementSettings(service="settlement")
    bank = settings.bank()
    terms = Terms(settings.opening_keys())
    tasks: list[BackgroundTask] = [
        reconciliation.task(bank, terms),
        reserve_watch.run,
        unanswered.task(bank, terms),
    ]
    return Service(settings, build_subscriptions(bank, terms), MIGRATIONS, tasks=tasks)


def main() -> None:
    run(build().run())


if __name__ == "__main__":
    main()
