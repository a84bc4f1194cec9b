"""Only the wallet's key holder can redeem: the wallet gateway relays requests, it cannot
forge them. Tried with the gateway's own credentials against every service on the real
broker: a request in the victim's name (customer and wallet ids are public on kyc.events)
signed with the attacker's key, the victim's genuine approval with a term changed on the
way, and the victim's genuine approval replayed under a new redemption id. Each ends
RedemptionFailed with its reason, and nothing is reserved, held or paid for it.

Before signatures, the first of these paid the attacker out of the victim's wallet."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from clients.outside import Outside
from clients.scenarios import Holder, Person, fund, onboard, outcome_of
from clients.watcher import Watcher
from schemas.issuance import Minted
from schemas.redemption import Redeem, RedemptionCompleted, RedemptionFailed
from tests.e2e.conftest import Live, live_platform
from tests.e2e.invariants import check_invariants
from tests.support.environment import Environment
from tests.support.money import cnh, tokens
from tests.support.servers import Servers

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

VICTIM = Person("Alice Wong", dt.date(1985, 3, 14), "HK", "K1234567")
ATTACKER = Person("Mallory Chan", dt.date(1991, 6, 1), "HK", "K2468013")


@dataclass
class Stage:
    live: Live
    """`live.outside` sends redemption requests as the `gateway` principal, as the wallet
    gateway does."""
    victim: Holder
    attacker: Holder

    @property
    def platform(self) -> Environment:
        return self.live.platform

    @property
    def outside(self) -> Outside:
        return self.live.outside

    @property
    def watcher(self) -> Watcher:
        return self.live.watcher


@pytest.fixture(scope="module")
async def stage(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stage]:
    async with live_platform(servers, tmp_path_factory.mktemp("signed")) as live:
        victim, attacker = await asyncio.gather(
            onboard(live.outside, live.watcher, VICTIM),
            onboard(live.outside, live.watcher, ATTACKER),
        )
        assert (victim.decision, attacker.decision) == ("verified", "verified")
        minted = await fund(live.outside, live.watcher, victim, cnh("5000.00"))
        assert isinstance(minted, Minted), minted
        yield Stage(live, victim, attacker)


def in_the_victims_name(stage: Stage) -> Holder:
    """The victim's public ids with the attacker's key and the attacker's bank account."""
    return replace(
        stage.victim,
        wallet=stage.attacker.wallet,
        account_id=stage.attacker.account_id,
    )


async def relay(stage: Stage, request: Redeem) -> RedemptionFailed:
    await stage.outside.redeem(request)
    await stage.outside.flush()
    failed = await outcome_of(stage.watcher, request.redemption_id)
    assert isinstance(failed, RedemptionFailed), failed
    return failed


async def moved_for(stage: Stage, redemption_id: uuid.UUID) -> dict[str, int]:
    """What the redemption got from each service: reservations, holds, payouts."""
    kyc = await stage.platform.query(
        "kyc",
        "SELECT count(*) AS n FROM eligibility_checks WHERE redemption_id = $1 "
        "AND outcome IN ('reserved', 'released')",
        redemption_id,
    )
    holds = await stage.platform.query(
        "issuance",
        "SELECT count(*) AS n FROM holds WHERE redemption_id = $1 AND hold_id IS NOT NULL",
        redemption_id,
    )
    payouts = await stage.platform.query(
        "settlement", "SELECT count(*) AS n FROM payouts WHERE redemption_id = $1", redemption_id
    )
    return {
        "reserved": kyc[0]["n"],
        "held": holds[0]["n"],
        "paid": payouts[0]["n"],
    }


NOTHING = {"reserved": 0, "held": 0, "paid": 0}


async def test_a_request_in_another_customers_name_signed_with_the_attackers_key(
    stage: Stage,
) -> None:
    before = await stage.live.balance(stage.victim)
    forged = in_the_victims_name(stage).redeem_request(uuid.uuid4(), tokens("1000.00"), "CNH", None)
    failed = await relay(stage, forged)

    assert failed.reason == "signature_invalid"
    assert await moved_for(stage, forged.redemption_id) == NOTHING
    assert await stage.live.balance(stage.victim) == before


async def test_the_victims_approval_with_a_term_changed_on_the_way(stage: Stage) -> None:
    before = await stage.live.balance(stage.victim)
    genuine = stage.victim.redeem_request(uuid.uuid4(), tokens("10.00"), "CNH", None)
    changed = genuine.model_copy(
        update={
            "amount": tokens("4000.00"),
            "beneficiary_account_id": stage.attacker.account_id,
        }
    )
    failed = await relay(stage, changed)

    assert failed.reason == "signature_invalid"
    assert await moved_for(stage, changed.redemption_id) == NOTHING
    assert await stage.live.balance(stage.victim) == before


async def test_the_victims_approval_replayed_under_another_redemption_id(stage: Stage) -> None:
    genuine = stage.victim.redeem_request(uuid.uuid4(), tokens("20.00"), "CNH", None)
    await stage.outside.redeem(genuine)
    await stage.outside.flush()
    done = await outcome_of(stage.watcher, genuine.redemption_id)
    assert isinstance(done, RedemptionCompleted), done
    before = await stage.live.balance(stage.victim)
    replay = genuine.model_copy(
        update={"redemption_id": uuid.uuid4(), "beneficiary_account_id": stage.attacker.account_id}
    )
    failed = await relay(stage, replay)

    assert failed.reason == "signature_replayed"
    assert await moved_for(stage, replay.redemption_id) == NOTHING
    assert await stage.live.balance(stage.victim) == before


async def test_an_approval_past_its_deadline(stage: Stage) -> None:
    passed = int(dt.datetime.now(dt.UTC).timestamp()) - 1
    late = stage.victim.redeem_request(uuid.uuid4(), tokens("10.00"), "CNH", None, deadline=passed)
    failed = await relay(stage, late)

    assert failed.reason == "signature_expired"
    assert await moved_for(stage, late.redemption_id) == NOTHING


async def test_afterwards_every_invariant_holds(stage: Stage) -> None:
    assert await check_invariants(stage.platform) == []
