"""The retry contract on the real broker and database: a command whose handler is not
ready for it (TransientError) waits, more attempts than a defect is allowed, and is then
applied once, never dead-lettered; a permanent error is dead-lettered at once with its
reason, its sender told, and the records behind it go on."""

from __future__ import annotations

import pytest

from schemas import Rejected
from tests.integration.runtime.conftest import DEAD_LETTERS, REPLIES, CounterHarness
from tests.support.counter.contracts import Added

pytestmark = pytest.mark.integration


async def test_a_transient_error_waits_and_a_permanent_one_is_dead_lettered_at_once(
    counter: CounterHarness,
) -> None:
    await counter.process().start().wait_started()
    flaky = counter.add("flaky-8", 5)  # CNH_RETRY_MAX_ATTEMPTS is 3 here
    doomed = counter.add("doomed", 1)
    after = counter.add("after", 2)
    await counter.send(flaky, doomed, after)

    replies = {
        r.causation_id: r.payload
        for r in (REPLIES.decode(x.value) for x in await counter.read(counter.replies, 3))
    }
    letters = [
        DEAD_LETTERS.decode(r.value).payload for r in await counter.read(counter.dead_letters, 1)
    ]

    assert replies[flaky.message_id] == Added(account="flaky-8", amount=5, total=5)
    rejection = replies[doomed.message_id]
    assert isinstance(rejection, Rejected)
    assert rejection.reason == "refused_for_test"
    assert replies[after.message_id] == Added(account="after", amount=2, total=2)
    [letter] = letters
    assert (letter.reason, letter.attempts) == ("refused_for_test", 1)
    assert "planted" in letter.detail
    applied = {
        row["account"]: row["applied"]
        for row in await counter.query("SELECT account, applied FROM counters")
    }
    assert applied == {"flaky-8": 1, "after": 1}
