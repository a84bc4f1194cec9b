"""What KYC's handlers, tasks and operator commands share, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from schemas.sealed import OpeningKeys, SealingKey
from services.kyc.crypto import KeyRing
from services.kyc.domain.eligibility import TOKEN_MINOR, Policy, TierLimits
from services.kyc.domain.screening import Screener, Thresholds
from services.kyc.settings import DEVELOPMENT_KEY_ID, KycSettings


@dataclass
class Kyc:
    settings: KycSettings
    keyring: KeyRing
    thresholds: Thresholds
    policy: Policy
    screener: Screener | None = field(default=None)
    """The active list prepared for matching; reloaded when another version becomes active."""

    @classmethod
    def from_settings(cls, settings: KycSettings) -> Kyc:
        s = settings
        return cls(
            settings=s,
            keyring=KeyRing.parse(s.kyc_encryption_keys, s.kyc_active_key_id),
            thresholds=Thresholds(s.kyc_screening_review_score, s.kyc_screening_reject_score),
            policy=Policy(
                limits={
                    "basic": _limits(s.kyc_limit_basic_per_transaction, s.kyc_limit_basic_daily),
                    "standard": _limits(
                        s.kyc_limit_standard_per_transaction, s.kyc_limit_standard_daily
                    ),
                    "enhanced": _limits(
                        s.kyc_limit_enhanced_per_transaction, s.kyc_limit_enhanced_daily
                    ),
                },
                due_diligence_threshold_hkd=s.kyc_due_diligence_threshold_hkd,
                cnh_hkd_rate=Decimal(s.kyc_cnh_hkd_rate),
            ),
        )

    @cached_property
    def opening_keys(self) -> OpeningKeys:
        """What opens the bank accounts customers seal to KYC (read at first use)."""
        return self.settings.opening_keys()

    @cached_property
    def settlement_key(self) -> SealingKey:
        """What an account to check is sealed to settlement with."""
        return self.settings.sealing_key("settlement")

    @property
    def development_key_in_use(self) -> bool:
        return DEVELOPMENT_KEY_ID in self.keyring.key_ids


def _limits(per_transaction_tokens: int, daily_tokens: int) -> TierLimits:
    return TierLimits(per_transaction_tokens * TOKEN_MINOR, daily_tokens * TOKEN_MINOR)
