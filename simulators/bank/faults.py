"""Faults the tests inject into the bank (only with CNH_BANK_FAULTS=1), in memory: a restart
clears them, as it would a real bank's bad day."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_next: int = Field(default=0, ge=0)
    """The next N API requests answer `status` before the bank does anything."""
    status: int = Field(default=503, ge=500, le=599)
    delay_next_s: float = Field(default=0.0, ge=0)
    """The next payment order is booked, then answered this much later."""
    drop_response_after_booking: int = Field(default=0, ge=0)
    """The next N payment orders are booked and never answered."""


@dataclass
class Faults:
    fail_left: int = 0
    fail_status: int = 503
    delay_s: float = 0.0
    drops_left: int = 0

    def inject(self, request: FaultRequest) -> None:
        if request.fail_next:
            self.fail_left, self.fail_status = request.fail_next, request.status
        if request.delay_next_s:
            self.delay_s = request.delay_next_s
        if request.drop_response_after_booking:
            self.drops_left = request.drop_response_after_booking

    def failure(self) -> int | None:
        """The status this request fails with, if it must fail."""
        if self.fail_left <= 0:
            return None
        self.fail_left -= 1
        return self.fail_status

    def delay(self) -> float:
        delay, self.delay_s = self.delay_s, 0.0
        return delay

    def drop(self) -> bool:
        if self.drops_left <= 0:
            return False
        self.drops_left -= 1
        return True
