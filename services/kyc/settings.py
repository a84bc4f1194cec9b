"""KYC's settings (CNH_KYC_* environment variables) on top of the runtime's."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.runtime.settings import ServiceSettings

DEVELOPMENT_KEY_ID = "dev-insecure-0"
DEVELOPMENT_KEYS = f"{DEVELOPMENT_KEY_ID}:Y25oLWt5Yy1kZXZlbG9wbWVudC1rZXktMzItYnl0ZXM="
"""A key published in the source code: used only where no key ring is configured, and
only in development (the service logs a warning); production refuses to start with it
anywhere in its ring (services/kyc/wiring.py)."""
RECORDS_KEYS_FILE = "records.keys"
"""KYC's at-rest key ring in its secrets folder (infra/secrets.py creates it per run
folder): one "kid:base64(32 bytes)" per line, the first one active."""

BUNDLED_LIST = Path(__file__).parent / "fixtures" / "un_consolidated_sample.xml"


class KycSettings(ServiceSettings):
    kyc_encryption_keys: str = ""
    """Key ring "kid:base64(32 bytes),kid2:...": every key that may have encrypted a record.
    Empty: the ring is read from `<secrets_dir>/records.keys`; without that file, the
    published development key (development only)."""
    kyc_active_key_id: str = ""
    """With `kyc_encryption_keys`: the key new records are encrypted with (default: the
    first); older keys stay readable (rotation)."""

    @property
    def records_keys_file(self) -> Path:
        return Path(self.secrets_dir) / RECORDS_KEYS_FILE

    kyc_screening_review_score: int = Field(default=80, ge=0, le=100)
    """A sanctions match scoring at least this goes to manual review."""
    kyc_screening_reject_score: int = Field(default=92, ge=0, le=100)
    """At least this: rejected (or frozen, if already verified)."""
    kyc_bundled_list: Path = BUNDLED_LIST
    """Loaded at first start when no list is loaded yet, so a fresh environment screens."""

    # Redemption limits per tier, in whole tokens (XCNH).
    kyc_limit_basic_per_transaction: int = Field(default=5_000, ge=0)
    kyc_limit_basic_daily: int = Field(default=10_000, ge=0)
    kyc_limit_standard_per_transaction: int = Field(default=100_000, ge=0)
    kyc_limit_standard_daily: int = Field(default=500_000, ge=0)
    kyc_limit_enhanced_per_transaction: int = Field(default=5_000_000, ge=0)
    kyc_limit_enhanced_daily: int = Field(default=20_000_000, ge=0)

    kyc_due_diligence_threshold_hkd: int = Field(default=8_000, ge=0)
    """Redemptions worth this many HKD or more need standard due diligence (HK rule)."""
    kyc_cnh_hkd_rate: str = Field(default="1.15", pattern=r"^[0-9]+(\.[0-9]+)?$")
    """HKD per CNH for the threshold only. Deliberately above the market (about 1.08-1.10):
    overstating the HKD value makes the check trigger early, never late."""
