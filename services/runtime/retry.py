"""Which failures are worth retrying, and how long to wait between attempts."""

from __future__ import annotations

import asyncio
import random

import asyncpg


class TransientError(Exception):
    """Raised by a handler when a retry may succeed (a dependency not ready yet, ...)."""


class DatabaseUnavailable(Exception):
    """The unit of work lost its connection, whatever error the driver reported for it."""


# The database itself is unreachable: no message is at fault and no dead letter can be
# written, so these are retried for as long as it takes.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    OSError,
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # the driver's protocol state broke with its connection
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)

# The transaction lost a race; the same work will likely pass on the next attempt.
_RETRIABLE: tuple[type[BaseException], ...] = (
    TransientError,
    TimeoutError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.UniqueViolationError,  # an inbox race with a consumer that lost its partition
    asyncpg.LockNotAvailableError,
)


def is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, _UNAVAILABLE)


def is_retriable(exc: BaseException) -> bool:
    return isinstance(exc, _UNAVAILABLE + _RETRIABLE)


class Backoff:
    """Capped exponential backoff with full jitter."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.attempt = 0

    def next_delay(self) -> float:
        # the exponent is capped: 2.0**1024 overflows, after an hour of 5 s waits
        ceiling = min(self.max_s, self.initial_s * 2.0 ** min(self.attempt, 64))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        """After a success: the next failure starts from the initial delay again."""
        self.attempt = 0
