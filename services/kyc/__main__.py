"""`python -m services.kyc`: the KYC service; the one place that builds its settings,
terms, subscriptions and start-up step."""

from __future__ import annotations

from pathlib import Path

from services.kyc.crypto import KeyRingError
from services.kyc.handlers import build_subscriptions
from services.kyc.list_files import read_list
from services.kyc.repository.sanctions import Prepared, SanctionsLists
from services.kyc.repository.work import operate
from services.kyc.settings import KycSettings
from services.kyc.use_cases.sanctions import LoadList, RescreenStale, load_list, rescreen_stale
from services.kyc.use_cases.work import Terms
from services.kyc.wiring import development_key_in_use, terms_from
from services.runtime.db import Pool
from services.runtime.logging import configure_logging, get_logger
from services.runtime.service import Service, SetupStep, run

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger("services.kyc")


async def ensure_lists(pool: Pool, terms: Terms, settings: KycSettings) -> list[str]:
    """At start: load the bundled list if no list is active yet, and re-screen the
    customers last screened against other lists than the active ones; the active versions."""
    async with pool.acquire() as conn:
        active = await SanctionsLists(conn).active()
    if not active:
        bundled = LoadList(read_list([settings.kyc_bundled_list]), "bootstrap")
        await operate(pool, terms, settings, load_list, bundled)
    await operate(pool, terms, settings, rescreen_stale, RescreenStale("bootstrap"))
    async with pool.acquire() as conn:
        return [a.version for a in await SanctionsLists(conn).active()]


def sanctions_lists(terms: Terms, settings: KycSettings) -> SetupStep:
    async def load_sanctions_lists(service: Service) -> None:
        """Before consuming: sanctions lists to screen against (customers screened against
        other lists than the active ones are screened again first)."""
        versions = await ensure_lists(service.pool, terms, settings)
        log.info("sanctions lists active", list_versions=versions)

    return load_sanctions_lists


async def main() -> None:
    settings = KycSettings(service="kyc")
    configure_logging(settings.service, settings.log_level, settings.log_format)
    try:
        terms = terms_from(settings)
    except (KeyRingError, FileNotFoundError) as refused:
        log.error("kyc refuses to start", reason=str(refused))
        raise SystemExit(2) from None
    if development_key_in_use(terms):
        log.warning(
            "the DEVELOPMENT encryption key is in use: personal data is NOT protected; "
            "give KYC a key ring (<secrets>/kyc/records.keys: python -m infra.secrets init)",
            active_key_id=terms.keyring.active_key_id,
        )
    subscriptions = build_subscriptions(terms, Prepared())
    setup = [sanctions_lists(terms, settings)]
    await Service(settings, subscriptions, MIGRATIONS, setup=setup).run()


if __name__ == "__main__":
    run(main())
