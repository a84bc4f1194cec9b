"""Issuance's settings: the runtime's CNH_* settings; the service adds none of its own yet."""

from __future__ import annotations

from services.runtime.settings import ServiceSettings


class IssuanceSettings(ServiceSettings):
    """`IssuanceSettings(service="issuance")`: database, Kafka, batching from CNH_*."""
