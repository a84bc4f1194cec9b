"""What KYC's handlers, start-up step and operator commands share, built once from the
settings: the use cases' terms, the at-rest key ring among them."""

from __future__ import annotations

import base64
import functools
from decimal import Decimal

from services.kyc.crypto import KeyRing, KeyRingError
from services.kyc.domain.eligibility import TOKEN_MINOR, Policy, TierLimits
from services.kyc.domain.screening import Thresholds
from services.kyc.settings import DEVELOPMENT_KEY_ID, DEVELOPMENT_KEYS, KycSettings
from services.kyc.use_cases.work import Terms


def terms_from(settings: KycSettings) -> Terms:
    """The use cases' terms from the settings: the key rings, the screening thresholds and
    the limits (KeyRingError or FileNotFoundError: KYC cannot start)."""
    s = settings
    return Terms(
        keyring=records_keyring(s),
        opening=s.opening_keys(),
        settlement_key=functools.cache(functools.partial(s.sealing_key, "settlement")),
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
        chain_id=s.chain_id,
    )


def development_key_in_use(terms: Terms) -> bool:
    return DEVELOPMENT_KEY_ID in terms.keyring.key_ids


def records_keyring(settings: KycSettings) -> KeyRing:
    """The at-rest key ring: named in the settings, or read from KYC's secrets folder; the
    published development key only when neither is there, and never in production."""
    if settings.kyc_encryption_keys:
        spec = settings.kyc_encryption_keys
        active = settings.kyc_active_key_id or spec.split(",", 1)[0].partition(":")[0].strip()
        ring = KeyRing.parse(spec, active)
    elif settings.records_keys_file.is_file():
        ring = KeyRing.from_lines(settings.records_keys_file.read_text())
    else:
        ring = KeyRing.parse(DEVELOPMENT_KEYS, DEVELOPMENT_KEY_ID)
    if settings.environment == "production" and _published_key_in(ring):
        raise KeyRingError(
            "production refuses the published development key "
            f"{DEVELOPMENT_KEY_ID!r}: give KYC its own key ring ({settings.records_keys_file}, "
            "python -m infra.secrets rotate-records, or CNH_KYC_ENCRYPTION_KEYS), re-encrypt "
            "the records under it (make kyc-reencrypt) and take the development key out"
        )
    return ring


def _published_key_in(ring: KeyRing) -> bool:
    _, encoded = DEVELOPMENT_KEYS.split(":", 1)
    return DEVELOPMENT_KEY_ID in ring.key_ids or ring.holds(base64.b64decode(encoded))


def _limits(per_transaction_tokens: int, daily_tokens: int) -> TierLimits:
    return TierLimits(per_transaction_tokens * TOKEN_MINOR, daily_tokens * TOKEN_MINOR)
