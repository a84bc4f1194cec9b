"""Issuance's settings: the runtime's CNH_* settings and CNH_ISSUANCE_* of its own."""

from __future__ import annotations

from pydantic import Field

from services.runtime.settings import ServiceSettings


class IssuanceSettings(ServiceSettings):
    """`IssuanceSettings(service="issuance")`: database, Kafka, batching from CNH_*."""

    issuance_deposit_wait_s: float = Field(default=0.5, ge=0)
    """How long a mint batch waits for the facts of its deposits (settlement.events, read by
    another consumer) before it refuses a mint as unknown_deposit, which settlement retries."""
