"""The runtime's exactly-once guarantees, proven on real Kafka and PostgreSQL with the
test-only counter service running as its own process (design section 4)."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.integration.runtime.conftest import EVENTS, REPLIES, CounterHarness

pytestmark = pytest.mark.integration


async def test_a_crash_after_commit_before_publish_loses_nothing(counter: CounterHarness) -> None:
    command = counter.add("alice", 250)
    crashing = counter.process().start(CNH_TEST_CRASH_AT="after_commit")
    await counter.send(command)

    assert await crashing.wait_exit() == 86, crashing.log_tail()
    # The effect committed, and its reply sits unpublished in the outbox.
    assert [tuple(r) for r in await counter.query("SELECT account, total FROM counters")] == [
        ("alice", 250)
    ]
    assert (await counter.query("SELECT count(*) FROM outbox WHERE published_at IS NULL"))[0][
        0
    ] == 2

    await counter.process().start().wait_started()
    replies = await counter.read(counter.replies, 1)
    events = await counter.read(counter.events, 1)

    reply = REPLIES.decode(replies[0].value)
    assert reply.payload.total == 250
    assert reply.causation_id == command.message_id
    assert EVENTS.decode(events[0].value).payload.account == "alice"
    assert (await counter.query("SELECT applied FROM counters"))[0][0] == 1


async def test_a_message_delivered_twice_has_one_effect_and_the_same_reply(
    counter: CounterHarness,
) -> None:
    service = counter.process().start()
    await service.wait_started()
    command = counter.add("bob", 40)

    await counter.send(command)
    first = await counter.read(counter.replies, 1)
    await counter.send(command)  # the producer retried, or a consumer was reassigned
    both = await counter.read(counter.replies, 2)

    assert both[0].value == first[0].value
    assert both[1].value == both[0].value, "the redelivery gets the very same reply"
    assert [tuple(r) for r in await counter.query("SELECT total, applied FROM counters")] == [
        (40, 1)
    ]
    events = await counter.read(counter.events, 1)
    await asyncio.sleep(1.0)
    assert len(await counter.read(counter.events, 1)) == len(events) == 1
    # only the runtime replies: FastStream's own reply (the callback's None) is off
    assert [REPLIES.decode(r.value).causation_id for r in both] == [command.message_id] * 2


@pytest.mark.parametrize("how", ["kill_mid_batch", "crash_after_commit_before_ack"])
async def test_a_consumer_killed_mid_batch_reprocesses_without_double_effects(
    counter: CounterHarness, how: str
) -> None:
    rng = random.Random(7)
    commands = [
        counter.add(f"acct-{rng.randrange(20)}", rng.randrange(1, 1000), delay_ms=2)
        for _ in range(600)
    ]
    expected: dict[str, int] = {}
    for command in commands:
        expected[command.payload.account] = (
            expected.get(command.payload.account, 0) + command.payload.amount
        )
    await counter.send(*commands)

    if how == "kill_mid_batch":
        victim = counter.process("victim").start()
        await victim.wait_started()
        # let some batches commit, then kill while the next one is open
        await counter.query_until(
            "SELECT coalesce(sum(applied), 0) FROM counters",
            lambda rows: rows[0][0] >= 100,
            interval_s=0.02,  # often: the kill must come before the last batch
        )
        victim.kill()
    else:
        victim = counter.process("victim").start(CNH_TEST_CRASH_AT="before_ack")
        assert await victim.wait_exit() == 86, victim.log_tail()
    applied_before_restart = (
        await counter.query("SELECT coalesce(sum(applied), 0) FROM counters")
    )[0][0]
    assert 0 < applied_before_restart < len(commands), "the crash must come mid-stream"

    await counter.process("survivor").start().wait_started()
    replies = await counter.read_distinct(counter.replies, len(commands), timeout_s=120)

    totals = {r["account"]: r["total"] for r in await counter.query("SELECT * FROM counters")}
    assert totals == expected
    assert (await counter.query("SELECT sum(applied) FROM counters"))[0][0] == len(commands)
    assert (await counter.query("SELECT count(*) FROM inbox"))[0][0] == len(commands)
    reply_ids = {REPLIES.decode(r.value).message_id for r in replies}
    assert len(reply_ids) == len(commands), "every command got exactly one distinct reply"
