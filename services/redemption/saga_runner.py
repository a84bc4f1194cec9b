"""Carries out the saga's decisions: persists the new state and timeline, sends the
commands and the outcome through the outbox, all in the caller's transaction (the state and
timeline are staged: written just before it commits)."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas import derive_id
from services.redemption.domain.decide import Decision
from services.redemption.repository import SagaWrites
from services.runtime.publisher import Outlet

REPLIES = "redemption.replies"
EVENTS = "redemption.events"


def outcome_id(redemption_id: uuid.UUID) -> uuid.UUID:
    return derive_id(redemption_id, "outcome")


def carry_out(writes: SagaWrites, decision: Decision, outlet: Outlet, now: dt.datetime) -> None:
    saga = decision.saga
    redemption_id = saga.request.redemption_id
    for send in decision.sends:
        outlet.publish(
            send.topic,
            send.key,
            send.payload,
            correlation_id=redemption_id,
            reply_to=REPLIES,
            message_id=send.message_id,
        )
    outcome: bytes | None = None
    if decision.outcome is not None:
        outcome = outlet.publish(
            EVENTS,
            str(redemption_id),
            decision.outcome,
            correlation_id=redemption_id,
            message_id=outcome_id(redemption_id),
        ).to_bytes()
    writes.save(saga, outcome, now)
    writes.log(redemption_id, decision.log, now)
