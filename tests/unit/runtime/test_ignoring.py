"""One way to consume a neighbour's events topic: handle the types a service needs and
ignore the rest of that neighbour's types (Subscription.ignore_the_rest), so that a fact
of no use here is consumed, not dead-lettered."""

from __future__ import annotations

import uuid
from typing import Any

from schemas import MESSAGE_TYPES, envelope
from schemas.kyc import CustomerFrozen, CustomerVerified
from schemas.settlement import DepositMatched
from services.runtime.handlers import HandlerContext, Subscription
from services.settlement.handlers import _kyc_events, _supply
from services.settlement.repository.work import SqlWork


def _types_of(owner: str) -> set[type[Any]]:
    return {cls for name, cls in MESSAGE_TYPES.items() if name.startswith(f"{owner}.")}


async def test_the_rest_of_the_writers_types_are_accepted_and_do_nothing() -> None:
    events = Subscription("kyc.events")

    @events.handles(CustomerVerified)
    async def verified(ctx: HandlerContext[Any], event: CustomerVerified) -> None:
        raise AssertionError("not called here")

    events.ignore_the_rest()

    assert set(events.accepts) == _types_of("kyc")
    assert events.handlers[CustomerVerified] is verified
    assert DepositMatched not in events.accepts  # another writer's type is still refused
    frozen = CustomerFrozen(customer_id=uuid.uuid4(), reason="sanctions")
    env = envelope(frozen, producer="kyc", correlation_id=uuid.uuid4())
    ctx: HandlerContext[Any] = HandlerContext(None, None, env, "settlement")  # type: ignore[arg-type]
    assert await events.handler_for(frozen)(ctx, frozen) is None


def _no_work(ctx: HandlerContext[Any]) -> SqlWork:
    raise AssertionError("no message is handled here")


def test_settlement_accepts_every_kyc_and_issuance_fact() -> None:
    for facts, owner in ((_kyc_events(_no_work), "kyc"), (_supply(_no_work), "issuance")):
        assert _types_of(owner) <= set(facts.accepts)
