"""`python -m services.kyc`: the KYC service."""

from __future__ import annotations

from pathlib import Path

from services.kyc.crypto import KeyRingError
from services.kyc.handlers import build_subscriptions
from services.kyc.operations import ensure_lists
from services.kyc.settings import KycSettings
from services.kyc.wiring import Kyc
from services.runtime.db import create_pool
from services.runtime.logging import configure_logging, get_logger
from services.runtime.migrate import upgrade_async
from services.runtime.service import Service, run

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger("services.kyc")


async def prepare(kyc: Kyc) -> None:
    """Before consuming: the schema, and sanctions lists to screen against (customers
    screened against other lists than the active ones are screened again first)."""
    settings = kyc.settings
    if kyc.development_key_in_use:
        log.warning(
            "the DEVELOPMENT encryption key is in use: personal data is NOT protected; "
            "give KYC a key ring (<secrets>/kyc/records.keys: python -m infra.secrets init)",
            active_key_id=kyc.keyring.active_key_id,
        )
    await upgrade_async(settings.database_url, MIGRATIONS)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        versions = await ensure_lists(kyc, pool)
    finally:
        await pool.close()
    log.info("sanctions lists active", list_versions=versions)


async def main() -> None:
    settings = KycSettings(service="kyc")
    configure_logging(settings.service, settings.log_level, settings.log_format)
    try:
        kyc = Kyc.from_settings(settings)
    except (KeyRingError, FileNotFoundError) as refused:
        log.error("kyc refuses to start", reason=str(refused))
        raise SystemExit(2) from None
    await prepare(kyc)
    await Service(settings, build_subscriptions(kyc), MIGRATIONS).run()


if __name__ == "__main__":
    run(main())
