"""Bad input gets a clear error and loses nothing: a poison record lands in the dead-letter
topic with its reason and original bytes, its sender (if known) gets a typed rejection, and
the records behind it on the same partition are still processed."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.runtime.conftest import DEAD_LETTERS, REPLIES, CounterHarness

pytestmark = pytest.mark.integration


async def test_an_unreadable_record_is_dead_lettered_and_the_next_one_processed(
    counter: CounterHarness,
) -> None:
    await counter.process().start().wait_started()
    garbage = b"\xff\xfenot json at all"
    good = counter.add("carol", 7)
    # same key, hence same partition: the good record waits behind the bad one
    await counter.send_raw([(b"carol", garbage), (b"carol", good.to_bytes())])

    reply = REPLIES.decode((await counter.read(counter.replies, 1))[0].value)
    letter = DEAD_LETTERS.decode((await counter.read(counter.dead_letters, 1))[0].value)

    assert reply.payload.total == 7
    assert letter.payload.reason == "not_json"
    assert base64.b64decode(letter.payload.value_b64 or "") == garbage
    assert base64.b64decode(letter.payload.key_b64 or "") == b"carol"
    assert letter.payload.source_topic == counter.commands


async def test_an_invalid_command_gets_a_typed_rejection_and_a_dead_letter(
    counter: CounterHarness,
) -> None:
    await counter.process().start().wait_started()
    command = counter.add("dave", 5)
    document = json.loads(command.to_bytes())
    document["payload"]["amount"] = 5.0  # a float where money must be an integer
    await counter.send_raw([(b"dave", json.dumps(document).encode())])

    rejection = REPLIES.decode((await counter.read(counter.replies, 1))[0].value)
    letter = DEAD_LETTERS.decode((await counter.read(counter.dead_letters, 1))[0].value)

    assert rejection.payload.reason == "invalid_payload"
    assert rejection.causation_id == command.message_id
    assert "payload.amount" in rejection.payload.detail
    assert letter.payload.reason == "invalid_payload"
    assert (await counter.query("SELECT count(*) FROM counters"))[0][0] == 0


async def test_a_record_that_keeps_failing_is_dead_lettered_after_retries_without_stalling(
    counter: CounterHarness,
) -> None:
    await counter.process().start().wait_started()
    poison = counter.add("explode", 1)  # the handler raises on this account, every time
    behind = [counter.add("erin", n) for n in (1, 2, 3)]
    await counter.send_raw(
        [(b"erin", poison.to_bytes())] + [(b"erin", c.to_bytes()) for c in behind]
    )

    replies = [REPLIES.decode(r.value) for r in await counter.read(counter.replies, 4)]
    letter = DEAD_LETTERS.decode((await counter.read(counter.dead_letters, 1))[0].value)

    rejected = [r for r in replies if r.causation_id == poison.message_id]
    assert [r.payload.reason for r in rejected] == ["retries_exhausted"]
    assert letter.payload.reason == "retries_exhausted"
    assert "planted defect" in letter.payload.detail
    assert letter.payload.attempts >= 3
    totals = {r["account"]: r["total"] for r in await counter.query("SELECT * FROM counters")}
    assert totals == {"erin": 6}

    # the sender was told "rejected": a redelivery gets the same answer, not an effect
    await counter.send(poison)
    again = [REPLIES.decode(r.value) for r in await counter.read(counter.replies, 5)]
    # replies are keyed by their flow and spread over partitions: find the poison's by cause
    answers = [r.model_dump() for r in again if r.causation_id == poison.message_id]
    assert answers == [rejected[0].model_dump()] * 2


async def test_an_oversize_record_is_dead_lettered_whole(counter: CounterHarness) -> None:
    await counter.process().start().wait_started()
    oversize = b"{" + b" " * (300 * 1024) + b"}"  # over the 256 KiB message limit
    good = counter.add("frank", 9)
    await counter.send_raw([(b"frank", oversize), (b"frank", good.to_bytes())])

    reply = REPLIES.decode((await counter.read(counter.replies, 1))[0].value)
    record = (await counter.read(counter.dead_letters, 1))[0]
    letter = DEAD_LETTERS.decode(record.value)

    assert reply.payload.total == 9
    assert letter.payload.reason == "oversize"
    assert letter.payload.value_size == len(oversize)
    assert not letter.payload.truncated
    assert base64.b64decode(letter.payload.value_b64 or "") == oversize
