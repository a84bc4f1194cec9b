"""`python -m services.kyc`: the KYC service."""

from __future__ import annotations

from pathlib import Path

from services.kyc.crypto import KeyRingError
from services.kyc.handlers import build_subscriptions
from services.kyc.operations import ensure_lists
from services.kyc.settings import KycSettings
from services.kyc.wiring import Kyc
from services.runtime.logging import configure_logging, get_logger
from services.runtime.service import Service, SetupStep, run

MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger("services.kyc")


def sanctions_lists(kyc: Kyc) -> SetupStep:
    async def load_sanctions_lists(service: Service) -> None:
        """Before consuming: sanctions lists to screen against (customers screened against
        other lists than the active ones are screened again first)."""
        versions = await ensure_lists(kyc, service.pool)
        log.info("sanctions lists active", list_versions=versions)

    return load_sanctions_lists


async def main() -> None:
    settings = KycSettings(service="kyc")
    configure_logging(settings.service, settings.log_level, settings.log_format)
    try:
        kyc = Kyc.from_settings(settings)
    except (KeyRingError, FileNotFoundError) as refused:
        log.error("kyc refuses to start", reason=str(refused))
        raise SystemExit(2) from None
    if kyc.development_key_in_use:
        log.warning(
            "the DEVELOPMENT encryption key is in use: personal data is NOT protected; "
            "give KYC a key ring (<secrets>/kyc/records.keys: python -m infra.secrets init)",
            active_key_id=kyc.keyring.active_key_id,
        )
    subscriptions = build_subscriptions(kyc)
    await Service(settings, subscriptions, MIGRATIONS, setup=[sanctions_lists(kyc)]).run()


if __name__ == "__main__":
    run(main())
