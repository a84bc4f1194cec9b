"""The platform rides out a broker restart: redemptions in flight when the broker stops, and
redemptions sent while it is away, all complete once it is back, and every invariant holds
afterwards (offsets committed after the database, outbox rows marked only after the acks,
a producer the restarted broker refuses replaced by a new one).

How fast the platform resumes is measured by `make bench-recovery`, never by a test: this
one only waits, generously, for the outcomes."""

from __future__ import annotations

import datetime as dt

import pytest

from clients.scenarios import Person, Redemption, fund, onboard, outcome_of, redeem
from schemas.issuance import Minted
from schemas.redemption import RedemptionCompleted
from tests.e2e.conftest import Live
from tests.e2e.invariants import check_invariants
from tests.support.broker import restart_broker
from tests.support.money import cnh, tokens
from tests.support.servers import Servers

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CAROL = Person("Carol Chan", dt.date(1990, 6, 1), "HK", "K2468013")
EACH_SIDE = 5


async def test_redemptions_complete_across_a_broker_restart(servers: Servers, live: Live) -> None:
    if servers.origin != "local":
        pytest.skip("restarts the broker with infra/kafka/kafka.sh: only the local one is ours")
    holder = await onboard(live.outside, live.watcher, CAROL)
    assert holder.decision == "verified"
    assert isinstance(await fund(live.outside, live.watcher, holder, cnh("1000.00")), Minted)

    async def one() -> Redemption:
        return await redeem(live.outside, live.watcher, holder, tokens("10.00"), "CNH", wait=False)

    in_flight = [await one() for _ in range(EACH_SIDE)]
    await restart_broker(servers.admin)
    after = [await one() for _ in range(EACH_SIDE)]

    for redemption in in_flight + after:
        done = await outcome_of(live.watcher, redemption.redemption_id, timeout_s=180)
        assert isinstance(done, RedemptionCompleted), done
    problems = await check_invariants(live.platform, drain_timeout_s=120)
    assert problems == [], "\n".join(problems)
