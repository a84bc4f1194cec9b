"""The retry contract (services/runtime/retry.py), kept by the consumer: a transient error or
an outage is retried with backoff and never dead-lettered, a permanent error is
dead-lettered at once with its reason, a defect after a few attempts. The database is a
fake here: a transaction either applies every record of its batch or none."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, cast

import asyncpg
import pytest

from schemas import envelope
from services.runtime.consumer import BatchProcessor, _Failure, _Item
from services.runtime.db import Pool
from services.runtime.handlers import Subscription
from services.runtime.logging import configure_logging
from services.runtime.records import Record
from services.runtime.retry import (
    DatabaseUnavailable,
    PermanentError,
    TransientError,
    kind_of,
)
from services.runtime.settings import ServiceSettings
from tests.support.counter.contracts import Add

MAX_ATTEMPTS = 3

Script = Callable[[Add], None]
"""What the fake handler does with one command: return (applied) or raise."""


class FakeDatabase(BatchProcessor):
    """A BatchProcessor whose transaction is a fake: each attempt runs the script for every
    record of the batch; only an attempt that raises nothing is committed."""

    def __init__(self, script: Script) -> None:
        settings = ServiceSettings(
            service="counter",
            retry_initial_backoff_s=0.001,
            retry_max_backoff_s=0.002,
            retry_max_attempts=MAX_ATTEMPTS,
        )
        commands = Subscription("test.commands")
        commands.handles(Add)(_unused)
        super().__init__(settings, cast(Pool, None), commands)
        self._script = script
        self.attempts: dict[str, int] = {}
        self.applied: list[str] = []
        self.dead_letters: dict[str, _Failure] = {}

    async def _apply_once(self, items: list[_Item], failure: _Failure | None) -> None:
        accounts = [_account(item) for item in items]
        if failure is not None:
            self.dead_letters.update(dict.fromkeys(accounts, failure))
            return
        for item, account in zip(items, accounts, strict=True):
            self.attempts[account] = self.attempts.get(account, 0) + 1
            assert item.env is not None
            self._script(item.env.payload)
        self.applied += accounts


async def _unused(ctx: Any, message: Any) -> None:
    raise AssertionError("the fake database runs the script instead")


def _account(item: _Item) -> str:
    assert item.env is not None
    account: str = item.env.payload.account
    return account


def _records(*accounts: str) -> list[Record]:
    return [
        Record(
            "test.commands",
            0,
            offset,
            account.encode(),
            envelope(
                Add(account=account, amount=1), producer="test", correlation_id=uuid.uuid4()
            ).to_bytes(),
        )
        for offset, account in enumerate(accounts)
    ]


def failing(times: int, error: Callable[[], Exception], account: str = "flaky") -> Script:
    """Raises `error()` on the first `times` attempts at `account`, then applies it."""
    left = {"n": times}

    def script(command: Add) -> None:
        if command.account == account and left["n"] > 0:
            left["n"] -= 1
            raise error()

    return script


async def test_a_transient_error_is_retried_until_it_passes_and_never_dead_lettered() -> None:
    # far more failures than a defect is allowed: the batch waits, whole, in order
    db = FakeDatabase(failing(10, lambda: TransientError("no sanctions list is loaded yet")))
    await db.process(_records("before", "flaky", "after"))

    assert db.dead_letters == {}
    assert db.applied == ["before", "flaky", "after"]  # once each, in order
    assert db.attempts == {"before": 11, "flaky": 11, "after": 1}  # reached when it passed


@pytest.mark.parametrize(
    "error",
    [
        lambda: DatabaseUnavailable("connection lost"),
        lambda: asyncpg.exceptions.ConnectionDoesNotExistError("closed"),
        ConnectionRefusedError,
    ],
)
async def test_the_database_being_unavailable_is_retried_until_it_is_back(
    error: Callable[[], Exception],
) -> None:
    db = FakeDatabase(failing(10, error))
    await db.process(_records("flaky"))

    assert db.dead_letters == {}
    assert db.applied == ["flaky"]


async def test_a_lost_race_is_retried_like_a_transient_error() -> None:
    db = FakeDatabase(failing(8, asyncpg.exceptions.SerializationError))
    await db.process(_records("flaky"))

    assert (db.applied, db.dead_letters) == (["flaky"], {})


async def test_a_permanent_error_is_dead_lettered_at_once_with_its_reason() -> None:
    def script(command: Add) -> None:
        if command.account == "doomed":
            raise PermanentError("unknown_currency", "XYZ is no ISO 4217 code")

    db = FakeDatabase(script)
    await db.process(_records("first", "doomed", "last"))

    letter = db.dead_letters["doomed"]
    assert (letter.reason, letter.detail, letter.attempts) == (
        "unknown_currency",
        "XYZ is no ISO 4217 code",
        1,
    )
    assert list(db.dead_letters) == ["doomed"]
    assert db.applied == ["first", "last"]
    # once in its batch, once alone to tell it from its neighbours: no retry
    assert db.attempts["doomed"] == 2


async def test_a_defect_is_retried_a_few_times_then_dead_lettered() -> None:
    def script(command: Add) -> None:
        raise RuntimeError("a planted defect")

    db = FakeDatabase(script)
    await db.process(_records("explode"))

    letter = db.dead_letters["explode"]
    assert (letter.reason, letter.attempts) == ("retries_exhausted", MAX_ATTEMPTS)
    assert "planted defect" in letter.detail
    assert db.attempts["explode"] == MAX_ATTEMPTS


async def test_a_defect_that_passes_within_its_attempts_is_applied() -> None:
    db = FakeDatabase(failing(MAX_ATTEMPTS - 1, lambda: asyncpg.UniqueViolationError("inbox")))
    await db.process(_records("flaky"))

    assert (db.applied, db.dead_letters) == (["flaky"], {})


async def test_an_outage_is_logged_when_it_starts_and_ends_not_per_attempt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("counter", "INFO", "json")
    db = FakeDatabase(failing(25, lambda: TransientError("no payout booked yet")))
    await db.process(_records("flaky"))

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    said = [line["event"] for line in lines if line["event"].startswith("batch")]
    assert said == ["batch failed; retrying", "batch passed after 25 failed attempts"]
    assert lines[0]["kind"] == "transient"
    assert "no payout booked yet" in lines[0]["error"]


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConnectionRefusedError(), "unavailable"),
        (asyncpg.exceptions.ConnectionDoesNotExistError(), "unavailable"),
        (DatabaseUnavailable(), "unavailable"),
        (TimeoutError(), "unavailable"),  # an OSError: a server that does not answer
        (TransientError("rate book not loaded yet"), "transient"),
        (asyncpg.exceptions.DeadlockDetectedError(), "transient"),
        (PermanentError("no_booked_payout", "the payout failed"), "permanent"),
        (asyncpg.UniqueViolationError(), "defect"),
        (RuntimeError("a defect"), "defect"),
    ],
)
def test_failures_are_classified(error: Exception, kind: str) -> None:
    assert kind_of(error) == kind
