"""Progress of a long loop for the person waiting on it: `done of total`, every so many
items or seconds (whichever comes first), and once at the end."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    def __init__(
        self,
        total: int,
        report: Callable[[int, int], None],
        *,
        every: int = 500,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self._report = report
        self._every = every
        self._interval_s = interval_s
        self._clock = clock
        self._told: int | None = None
        self._last_time = clock()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self._clock()
        if (
            self.done - (self._told or 0) >= self._every
            or now - self._last_time >= self._interval_s
        ):
            self._tell(now)

    def finish(self) -> None:
        """The final count, always once (also when there was nothing to do)."""
        if self._told != self.done:
            self._tell(self._clock())

    def _tell(self, now: float) -> None:
        self._report(self.done, self.total)
        self._told, self._last_time = self.done, now
