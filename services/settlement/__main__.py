"""`python -m services.settlement`: the settlement service (and, unless turned off, the
simulated bank beside it, as a background task)."""

from __future__ import annotations

from pathlib import Path

from services.runtime.service import BackgroundTask, Service, run
from services.settlement.bank.simulator import SimulatedBank
from services.settlement.flows import reconciliation, reserve_watch
from services.settlement.handlers import build_subscriptions
from services.settlement.settings import SettlementSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build() -> Service:
    settings = SettlementSettings(service="settlement")
    bank = SimulatedBank(settings)
    # the rail port is wired to the simulated bank; a real adapter would replace it here
    # (and the bank's own task would go: a real bank delivers to the ingress topic itself)
    tasks: list[BackgroundTask] = [reconciliation.run, reserve_watch.run, bank.run]
    return Service(
        settings, build_subscriptions(bank, settings.opening_keys()), MIGRATIONS, tasks=tasks
    )


def main() -> None:
    run(build().run())


if __name__ == "__main__":
    main()
