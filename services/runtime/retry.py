"""The retry contract: what a failure means, how long to wait, and what is said meanwhile.

Every failure is one of four kinds (`kind_of`), and the consumer (consumer.py) treats each
its own way:

- **unavailable**: the database cannot be reached (the driver's connection errors, a
  timeout, or a connection lost under the unit of work: `DatabaseUnavailable`). No record
  is at fault and not even a dead letter could be written: retried with backoff for as
  long as it lasts.
- **transient**: the same work will likely pass later. A handler's `TransientError` (a
  neighbour's data not there yet: no sanctions list loaded, no payout booked) or a lost
  race (serialization failure, deadlock, lock not available). Retried with backoff for as
  long as it lasts and never dead-lettered: the subscription waits, so the records behind
  it keep their order. A transient error that never passes holds its
  subscription until an operator acts: the log says so every `CNH_RETRY_LOG_INTERVAL_S`.
- **permanent**: no retry can mend it. A handler's `PermanentError` (with its reason code)
  or a sealed value that does not open. Dead-lettered at once (attempts: 1) with its reason,
  the sender told.
- **defect**: anything else. Retried a few times (`CNH_RETRY_MAX_ATTEMPTS`), then each
  record of the batch alone as many times, then dead-lettered as `retries_exhausted`.
  Deliberately not at once: a failing batch does not say which of its records is at fault
  (applying them alone finds it and lets the others pass), and an exception nobody
  classified is sometimes a race after all (a unique violation on the inbox when a consumer
  that lost its partition recorded the same message; a check the next attempt no longer
  meets). Deliberately not forever either: a real defect would stop its partition for good.

Retries run on tenacity under the project's rules: capped exponential backoff with jitter
from `CNH_RETRY_INITIAL_BACKOFF_S` to `CNH_RETRY_MAX_BACKOFF_S`, and `RetryLog` for the log:
one line when a failure starts, a reminder while it lasts, one when it ends; never a line
per attempt.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_never
from tenacity.wait import wait_base

from schemas.sealed import SealError
from services.runtime.errors import describe
from services.runtime.logging import get_logger

log = get_logger(__name__)


class TransientError(Exception):
    """Raised by a handler when a later attempt may succeed (a neighbour's data not there
    yet, a concurrent request in flight): retried for as long as it takes, never
    dead-lettered."""


class PermanentError(Exception):
    """Raised by a handler when no attempt can succeed: the record is dead-lettered at once
    with `reason` (a snake_case code the sender can branch on), its sender told."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class DatabaseUnavailable(Exception):
    """The unit of work lost its connection, whatever error the driver reported for it."""


Kind = Literal["unavailable", "transient", "permanent", "defect"]

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    DatabaseUnavailable,
    OSError,  # TimeoutError too: a server that does not answer in time
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # the driver's protocol state broke with its connection
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)

_TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.LockNotAvailableError,
)


@dataclass(frozen=True, slots=True)
class Permanent:
    """A failure that no retry can mend: the record is dead-lettered at once."""

    reason: str
    detail: str


def permanent(exc: BaseException) -> Permanent | None:
    """What a permanent failure says (a sealed value that does not open will not open on
    the next attempt either), or None for any other."""
    if isinstance(exc, PermanentError):
        return Permanent(exc.reason, exc.detail)
    if isinstance(exc, SealError):
        return Permanent(f"sealed_{exc.reason}", str(exc))
    return None


def kind_of(exc: BaseException) -> Kind:
    if isinstance(exc, _UNAVAILABLE):
        return "unavailable"
    if isinstance(exc, _TRANSIENT):
        return "transient"
    if permanent(exc) is not None:
        return "permanent"
    return "defect"


def is_unavailable(exc: BaseException) -> bool:
    return kind_of(exc) == "unavailable"


def delay(initial_s: float, max_s: float, attempt: int) -> float:
    """The wait after `attempt` failures (0: the first): doubling from `initial_s`, capped
    at `max_s`, jittered over its upper half so that replicas do not retry in step."""
    # the exponent is capped: 2.0**1024 overflows, after an hour of 5 s waits
    ceiling = min(max_s, initial_s * 2.0 ** min(attempt, 64))
    return random.uniform(ceiling / 2, ceiling)


class Backoff:
    """`delay` for a loop that keeps its own count (the relay, the position commits)."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.attempt = 0

    def next_delay(self) -> float:
        seconds = delay(self.initial_s, self.max_s, self.attempt)
        self.attempt += 1
        return seconds

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        """After a success: the next failure starts from the initial delay again."""
        self.attempt = 0


class _Wait(wait_base):
    def __init__(self, initial_s: float, max_s: float) -> None:
        self._initial_s = initial_s
        self._max_s = max_s

    def __call__(self, retry_state: RetryCallState) -> float:
        return delay(self._initial_s, self._max_s, retry_state.attempt_number - 1)


class RetryLog:
    """What a retry loop says while a failure lasts: one WARNING when it starts, one again
    every `remind_s` while it goes on (with the attempts so far), one INFO when it ends;
    the attempts between at DEBUG. `context` names the loop in every line."""

    def __init__(self, what: str, remind_s: float, **context: Any) -> None:
        self._what = what
        self._remind_s = remind_s
        self._context = context
        self.attempts = 0
        self._since = 0.0
        self._said = 0.0

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.attempts += 1
        kind, error = kind_of(exc), describe(exc)
        if self.attempts == 1:
            self._since = self._said = now
            log.warning(f"{self._what} failed; retrying", kind=kind, error=error, **self._context)
        elif now - self._said >= self._remind_s:
            self._said = now
            log.warning(
                f"{self._what} still failing; retrying",
                kind=kind,
                error=error,
                attempts=self.attempts,
                seconds=round(now - self._since, 1),
                **self._context,
            )
        else:
            log.debug(f"{self._what} failed again", attempts=self.attempts, error=error)

    def ended(self) -> None:
        """After the success that ends it (nothing is said if nothing failed)."""
        if self.attempts:
            log.info(
                f"{self._what} passed after {self.attempts} failed attempts",
                seconds=round(time.monotonic() - self._since, 1),
                **self._context,
            )
        self.attempts = 0


def retrying(
    initial_s: float,
    max_s: float,
    again: Callable[[BaseException], bool],
    on_retry: Callable[[BaseException], None],
) -> AsyncRetrying:
    """Attempts of one piece of work, with the project's backoff, until it passes or fails
    with an error `again` refuses (raised as it is); `on_retry` is told each failure that
    is tried again (`RetryLog.failed`). A cancellation is never retried."""

    def retry(exc: BaseException) -> bool:
        return isinstance(exc, Exception) and again(exc)

    def before_sleep(state: RetryCallState) -> None:
        assert state.outcome is not None
        error = state.outcome.exception()
        assert error is not None
        on_retry(error)

    return AsyncRetrying(
        retry=retry_if_exception(retry),
        wait=_Wait(initial_s, max_s),
        stop=stop_never,
        before_sleep=before_sleep,
        reraise=True,
    )
