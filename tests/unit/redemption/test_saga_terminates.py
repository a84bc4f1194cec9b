"""Whatever the other services answer, and however late, every saga ends terminal."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import Message, Rejected
from schemas.fx import ReversalRejected
from schemas.issuance import HoldReleased
from schemas.kyc import ReservationReleased
from services.redemption.domain.decide import on_deadline, on_reply
from services.redemption.domain.definition import SAGA
from tests.unit.redemption.saga_dsl import (
    TIMING,
    Scenario,
    burned,
    converted,
    eligible,
    hold_placed,
    redemption,
    released,
    sent,
    status,
)

# What the world may do at each point: answer the pending command (success, refusal,
# runtime rejection), send a stale reply, or stay silent until the deadline.
Move = st.sampled_from(["succeed", "refuse", "runtime_reject", "stale", "silence", "undelivered"])


def _success(s: Scenario) -> Message | None:
    step = SAGA[s.saga.step]
    if s.saga.phase == "query":
        return status(s, "settled")
    if s.saga.phase == "undo":
        return None  # compensations: answered by _undone below
    builders: dict[str, Callable[[Scenario], Message]] = {
        "eligibility": eligible,
        "hold": hold_placed,
        "conversion": converted,
        "payout": sent,
        "burn": burned,
        "reserve": released,
    }
    return builders[step.name](s)


def _undone(s: Scenario) -> Message:

    rid = s.request.redemption_id
    name = SAGA[s.saga.step].name
    if name == "conversion":
        return ReversalRejected(redemption_id=rid, reason="unknown_conversion", detail="")
    if name == "hold":
        return HoldReleased(redemption_id=rid, hold_id=None, wallet_id=None, amount=None)
    return ReservationReleased(redemption_id=rid, reservation_id=None)


@settings(max_examples=300, deadline=None)
@given(currency=st.sampled_from(["USD", "CNH"]), moves=st.lists(Move, min_size=80, max_size=80))
def test_every_saga_reaches_a_terminal_state(currency: str, moves: list[str]) -> None:
    s = Scenario(redemption(currency))
    for move in moves:
        if s.saga.terminal:
            break
        pending = s.saga.pending
        if move == "succeed":
            reply = _undone(s) if s.saga.phase == "undo" else _success(s)
            assert reply is not None
            s.decision = on_reply(s.saga, pending, reply, s.now, TIMING)
        elif move in ("refuse", "runtime_reject"):
            reply = Rejected(reason="invalid_payload", detail="")
            s.decision = on_reply(s.saga, pending, reply, s.now, TIMING)
        elif move == "stale":
            s.decision = on_reply(
                s.saga, uuid.uuid4(), Rejected(reason="x", detail=""), s.now, TIMING
            )
        else:
            assert s.saga.deadline is not None, "a waiting saga always has a deadline"
            s.now = s.saga.deadline
            delivered = move != "undelivered"
            s.decision = on_deadline(s.saga, s.now, TIMING, delivered=delivered)
    # then the world goes silent, and no command reaches its receiver any more: deadlines
    # alone must finish the saga (each step waits out its patience first)
    for _ in range(5_000):
        if s.saga.terminal:
            break
        assert s.saga.deadline is not None
        s.now = s.saga.deadline
        s.decision = on_deadline(s.saga, s.now, TIMING, delivered=False)
    assert s.saga.terminal, s.saga
