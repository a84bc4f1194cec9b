"""Carries out the saga's decisions: the new state and timeline (written just before the
transaction commits), the commands and the outcome through the outbox, all in the work's
transaction."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas import derive_id
from services.redemption.domain.decide import Decision
from services.redemption.use_cases.work import SagaWork

REPLIES = "redemption.replies"
EVENTS = "redemption.events"


def outcome_id(redemption_id: uuid.UUID) -> uuid.UUID:
    return derive_id(redemption_id, "outcome")


def carry_out(work: SagaWork, decision: Decision, now: dt.datetime) -> None:
    saga = decision.saga
    redemption_id = saga.request.redemption_id
    for send in decision.sends:
        work.outlet.publish(
            send.topic,
            send.key,
            send.payload,
            correlation_id=redemption_id,
            reply_to=REPLIES,
            message_id=send.message_id,
        )
    outcome: bytes | None = None
    if decision.outcome is not None:
        outcome = work.outlet.publish(
            EVENTS,
            str(redemption_id),
            decision.outcome,
            correlation_id=redemption_id,
            message_id=outcome_id(redemption_id),
        ).to_bytes()
    work.sagas.save(saga, outcome, now)
    work.step_log.record(redemption_id, decision.log, now)
