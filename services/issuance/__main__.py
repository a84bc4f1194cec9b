"""`python -m services.issuance`: the token ledger as its own process."""

from __future__ import annotations

from pathlib import Path

from services.issuance.handlers import subscriptions
from services.issuance.settings import IssuanceSettings
from services.runtime.service import Service, run

MIGRATIONS = Path(__file__).parent / "migrations"


def main() -> None:
    settings = IssuanceSettings(service="issuance")
    subs = subscriptions(settings.instance, settings.issuance_deposit_wait_s)
    run(Service(settings, subs, MIGRATIONS).run())


if __name__ == "__main__":
    main()
