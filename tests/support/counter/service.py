"""`python -m tests.support.counter.service`: the counter service as its own process.

Environment: the runtime's CNH_* settings, plus
  CNH_TEST_COMMANDS_TOPIC / CNH_TEST_EVENTS_TOPIC  topics to consume and to publish to;
  CNH_TEST_CRASH_AT  a fault to inject once: "after_commit" (die when the relay first claims
                     committed rows, before anything is published) or "before_ack" (die after
                     a batch's database commit, before its offsets are committed).
Planted failures, by account: "explode" a defect, "doomed" a permanent error, "flaky-N" a
transient error for the first N attempts at each message.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.records import Record
from services.runtime.relay import Relay
from services.runtime.retry import PermanentError, TransientError
from services.runtime.service import Service
from services.runtime.settings import ServiceSettings
from tests.support.counter.contracts import Add, Added

MIGRATIONS = Path(__file__).parent / "migrations"


def build_subscription(commands_topic: str, events_topic: str) -> Subscription:
    commands = Subscription(commands_topic)

    @commands.handles(Add)
    async def add(ctx: HandlerContext[Add], command: Add) -> Added:
        if command.account == "explode":
            raise RuntimeError("the counter service cannot add to 'explode' (a planted defect)")
        if command.account == "doomed":
            raise PermanentError("refused_for_test", "the counter refuses 'doomed' (planted)")
        if command.account.startswith("flaky-"):
            _not_ready_for(ctx.message.message_id, int(command.account.removeprefix("flaky-")))
        if command.delay_ms:
            await asyncio.sleep(command.delay_ms / 1000)
        total = await ctx.connection.fetchval(
            """
            INSERT INTO counters (account, total, applied) VALUES ($1, $2, 1)
            ON CONFLICT (account) DO UPDATE
               SET total = counters.total + EXCLUDED.total, applied = counters.applied + 1
            RETURNING total
            """,
            command.account,
            command.amount,
        )
        added = Added(account=command.account, amount=command.amount, total=total)
        ctx.publish(events_topic, command.account, added)
        return added

    return commands


_attempts: dict[uuid.UUID, int] = {}


def _not_ready_for(message_id: uuid.UUID, attempts: int) -> None:
    """A neighbour not ready for the first `attempts` attempts at this message (counted in
    the process: a rolled-back transaction keeps no count)."""
    _attempts[message_id] = _attempts.get(message_id, 0) + 1
    if _attempts[message_id] <= attempts:
        raise TransientError(f"not ready yet (attempt {_attempts[message_id]} of {attempts})")


def _crash() -> NoReturn:
    os._exit(86)  # no cleanup, no flush: what a killed process leaves behind


def _die_before_first_publish() -> None:
    async def die(self: Relay, rows: object) -> NoReturn:
        _crash()

    Relay._publish = die  # type: ignore[method-assign]


class _DiesBeforeAck(Service):
    def _callback(self, subscription: Subscription):  # type: ignore[no-untyped-def]
        process = super()._callback(subscription)

        async def process_then_die(records: Sequence[Record]) -> None:
            await process(records)
            _crash()

        return process_then_die


def main() -> None:
    subscription = build_subscription(
        os.environ["CNH_TEST_COMMANDS_TOPIC"], os.environ["CNH_TEST_EVENTS_TOPIC"]
    )
    fault = os.environ.get("CNH_TEST_CRASH_AT", "")
    if fault == "after_commit":
        _die_before_first_publish()
    service_class = _DiesBeforeAck if fault == "before_ack" else Service
    service = service_class(ServiceSettings(), [subscription], MIGRATIONS)
    asyncio.run(service.run())


if __name__ == "__main__":
    main()
