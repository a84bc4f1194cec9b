"""The saga's settings (CNH_REDEMPTION_*)."""

from __future__ import annotations

from pydantic import Field

from services.redemption.domain.decide import Timing
from services.runtime.settings import ServiceSettings


class RedemptionSettings(ServiceSettings):
    redemption_step_timeout_s: float = Field(default=10.0, gt=0)
    """First deadline of every step; re-sends back off from it."""
    redemption_max_attempts: int = Field(default=4, ge=1)
    redemption_max_backoff_s: float = Field(default=120.0, gt=0)
    redemption_query_interval_s: float = Field(default=2.0, gt=0)
    redemption_max_queries: int = Field(default=30, ge=1)
    redemption_retriable_attempts: int = Field(default=12, ge=1)
    redemption_watchdog_interval_s: float = Field(default=0.5, gt=0)
    redemption_patience_s: float = Field(default=300.0, ge=0)
    """How long a step waits for its command to reach its receiver before its deadlines
    run regardless."""
    redemption_receivers_interval_s: float = Field(default=1.0, gt=0)
    """How often the receivers' positions in the command topics are read."""

    @property
    def timing(self) -> Timing:
        return Timing(
            step_timeout_s=self.redemption_step_timeout_s,
            max_attempts=self.redemption_max_attempts,
            max_backoff_s=self.redemption_max_backoff_s,
            query_interval_s=self.redemption_query_interval_s,
            max_queries=self.redemption_max_queries,
            retriable_attempts=self.redemption_retriable_attempts,
            patience_s=self.redemption_patience_s,
            recheck_s=self.redemption_receivers_interval_s,
        )
