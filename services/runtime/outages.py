"""One log line per broker outage, not one per failed reconnect.

While the broker is away, aiokafka logs every failed connection, metadata refresh, fetch and
coordinator lookup of every client at WARNING or ERROR: about 250 lines a second per service
here, 4,000 per service in a ten-minute soak with two broker restarts. Rendering and writing
them costs the CPU a restarting broker needs on a shared machine, and buries what matters.

The first such line of an outage goes through as it is (it says what failed: refused, TLS,
login); the rest are counted. While the outage lasts, one line every `remind_s` says so; when
none has come for `quiet_s`, one line says how long the errors went on and how many were held
back. aiokafka's other lines (a refused produce, an unclosed client) pass untouched.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

# What aiokafka says when it cannot reach a broker, whichever client part says it.
_UNREACHABLE = re.compile(
    r"Unable connect to|Unable to update metadata|Unable to request metadata"
    r"|NodeNotReadyError|KafkaConnectionError|Connection refused"
    r"|GroupCoordinatorNotAvailable|coordinator dead|coordinator \(node \S+\) is either not started"
)


@dataclass
class _Outage:
    started: float
    last: float
    reminded: float
    held: int = 0
    held_since_reminder: int = 0


class OutageSummary(logging.Filter):
    """A handler filter: attach it to the handler every logger writes through."""

    def __init__(
        self,
        quiet_s: float = 5.0,
        remind_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        logger_name: str = "services.runtime.outages",
    ) -> None:
        super().__init__()
        self.quiet_s = quiet_s
        self.remind_s = remind_s
        self._clock = clock
        self._log = logging.getLogger(logger_name)
        self._outage: _Outage | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_unreachable(record):
            return True
        now = self._clock()
        if self._outage is not None and now - self._outage.last >= self.quiet_s:
            self.check()  # no timer closed the last one (no event loop): a new outage
        outage = self._outage
        if outage is None:
            self._outage = _Outage(started=now, last=now, reminded=now)
            self._watch()
            return True
        outage.last = now
        outage.held += 1
        outage.held_since_reminder += 1
        if now - outage.reminded >= self.remind_s:
            self._log.warning(
                "broker still unreachable after %.0f s (%d client errors in the last %.0f s)",
                now - outage.started,
                outage.held_since_reminder,
                now - outage.reminded,
            )
            outage.reminded, outage.held_since_reminder = now, 0
        return False

    def check(self) -> bool:
        """Close the outage if its errors stopped `quiet_s` ago; True if it was closed."""
        outage = self._outage
        if outage is None:
            return False
        if self._clock() - outage.last < self.quiet_s:
            return False
        self._outage = None
        self._log.warning(
            "broker client errors ended after %.1f s (%d more held back)",
            outage.last - outage.started,
            outage.held,
        )
        return True

    def _watch(self) -> None:
        """Check again once the quiet time may have passed, on the running event loop (the
        filter runs in the loop's thread). Without one, the next line of the outage or
        `check()` closes it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(self.quiet_s, self._tick)

    def _tick(self) -> None:
        if not self.check() and self._outage is not None:
            self._watch()


def _is_unreachable(record: logging.LogRecord) -> bool:
    if record.levelno < logging.WARNING or not record.name.startswith("aiokafka"):
        return False
    try:
        text = record.getMessage()
    except (TypeError, ValueError):  # a library's own bad format string: not ours to hide
        return False
    return _UNREACHABLE.search(text) is not None
