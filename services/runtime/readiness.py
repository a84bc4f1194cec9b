"""What a process knows of its own readiness: its phase and each dependency's last state.

The waiting code (dependencies.py) writes it, the health endpoint (health.py) reads it. A
process is ready once it started and every dependency answered its last probe; otherwise
the report says what it waits for, since when, after how many attempts and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Phase = Literal["starting", "ready", "stopping"]
State = Literal["unknown", "waiting", "ready", "refused"]


@dataclass(frozen=True, slots=True)
class DependencyState:
    state: State
    since: datetime
    """When it entered this state (wall clock: the operator compares it with logs)."""
    since_monotonic: float
    attempts: int = 0
    """Probes since it entered this state."""
    error: str | None = None
    """The last failure, described without values (errors.describe)."""

    def report(self, now_monotonic: float) -> dict[str, Any]:
        report: dict[str, Any] = {
            "state": self.state,
            "since": self.since.isoformat(timespec="seconds"),
            "for_s": round(now_monotonic - self.since_monotonic, 1),
        }
        if self.attempts:
            report["attempts"] = self.attempts
        if self.error:
            report["error"] = self.error
        return report


class Readiness:
    def __init__(self, service: str) -> None:
        self.service = service
        self.phase: Phase = "starting"
        self._dependencies: dict[str, DependencyState] = {}

    def expect(self, name: str) -> None:
        """A dependency the process needs, not probed yet."""
        self._dependencies.setdefault(name, _state("unknown"))

    def waiting(self, name: str, error: str) -> DependencyState:
        previous = self._dependencies.get(name)
        if previous is not None and previous.state == "waiting":
            current = DependencyState(
                "waiting",
                previous.since,
                previous.since_monotonic,
                previous.attempts + 1,
                error,
            )
        else:
            current = _state("waiting", attempts=1, error=error)
        self._dependencies[name] = current
        return current

    def answered(self, name: str) -> None:
        self._dependencies[name] = _state("ready")

    def refused(self, name: str, error: str) -> None:
        """A fault waiting cannot mend (a refused password): the process is exiting."""
        self._dependencies[name] = _state("refused", error=error)

    def state_of(self, name: str) -> DependencyState | None:
        return self._dependencies.get(name)

    @property
    def waiting_for(self) -> list[str]:
        return [name for name, s in self._dependencies.items() if s.state != "ready"]

    @property
    def is_ready(self) -> bool:
        return self.phase == "ready" and not self.waiting_for

    def report(self) -> dict[str, Any]:
        """The body of /health/ready."""
        now = time.monotonic()
        status: str = self.phase
        if self.phase != "stopping" and any(
            s.state in ("waiting", "refused") for s in self._dependencies.values()
        ):
            status = "waiting"  # at start, or a started process that lost one
        elif self.phase == "ready" and not self.is_ready:
            status = "starting"
        return {
            "service": self.service,
            "status": status,
            "dependencies": {name: s.report(now) for name, s in self._dependencies.items()},
        }


def _state(state: State, *, attempts: int = 0, error: str | None = None) -> DependencyState:
    return DependencyState(state, datetime.now(UTC), time.monotonic(), attempts, error)
