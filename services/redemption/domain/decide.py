"""The saga's decision function: (saga, what happened, now) -> (new saga, commands to send,
outcome, timeline entries). Pure: the service persists and sends what it returns.

Rules (design section 5):
- each command's id derives from the redemption id, the saga's secret salt and the step,
  so a re-send is the same command and its receiver applies it once, and nobody else can
  send a command under that id first;
- a reply counts only if it answers the pending command (else it is stale and logged);
- on a deadline the pending command is re-sent with backoff; after the last attempt a step
  before the pivot is compensated, the pivot's outcome is queried, and anything else is
  parked for review, so that every saga ends terminal;
- but a deadline waits while the pending command has not reached its receiver (still in the
  outbox, or ahead of the receiver's position after a fault): re-sending it would only queue
  it again behind itself. The attempt's time starts once it arrives; a step waits so at
  most `patience_s`, then its deadlines run as if it had arrived;
- compensation undoes every step whose command was sent, newest first, except a step that
  was definitely refused (it did nothing); a compensation for a command that may still be
  in flight makes its receiver refuse the late command.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from schemas import Message, Rejected, derive_id
from schemas.redemption import RedemptionCompleted, RedemptionFailed, RedemptionNeedsReview
from schemas.settlement import PayoutStatus, QueryPayout
from services.redemption.domain.definition import PIVOT, SAGA, UNDO_REFUSED, Step
from services.redemption.domain.state import Failure, Phase, Request, Saga, Status


@dataclass(frozen=True)
class Timing:
    step_timeout_s: float = 10.0
    max_attempts: int = 4
    """Sends of a forward or compensating command before the saga gives up on it."""
    max_backoff_s: float = 120.0
    query_interval_s: float = 2.0
    max_queries: int = 30
    retriable_attempts: int = 12
    """Sends of a post-pivot command (burn, reserve release) before review."""
    patience_s: float = 300.0
    """How long a step waits for its command to reach the receiver before its deadlines
    run regardless (a receiver down for good: the saga compensates, queries or parks)."""
    recheck_s: float = 1.0
    """How often a waiting step asks again whether its command arrived."""


@dataclass(frozen=True)
class Send:
    step: str
    phase: Phase
    topic: str
    key: str
    message_id: uuid.UUID
    payload: Message


@dataclass(frozen=True)
class Entry:
    """One line of the saga's timeline."""

    event: str
    step: str
    detail: str
    message_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Decision:
    saga: Saga
    sends: tuple[Send, ...] = ()
    outcome: Message | None = None
    log: tuple[Entry, ...] = ()

    def then(self, other: Decision) -> Decision:
        return Decision(
            other.saga,
            self.sends + other.sends,
            other.outcome or self.outcome,
            self.log + other.log,
        )


# --- entry points -----------------------------------------------------------------------


def start(request: Request, now: dt.datetime, timing: Timing, salt: str) -> Decision:
    """`salt`: a random secret of this saga (the caller draws it; this function stays pure)."""
    saga = Saga(
        request=request,
        status=Status.RUNNING,
        step=0,
        phase="do",
        attempt=0,
        pending=None,
        deadline=None,
        salt=salt,
    )
    return _forward(saga, 0, now, timing)


def on_reply(
    saga: Saga, causation_id: uuid.UUID | None, reply: Message, now: dt.datetime, timing: Timing
) -> Decision:
    step = SAGA[saga.step]
    if saga.terminal or causation_id is None or causation_id != saga.pending:
        return Decision(saga, log=(Entry("stale_reply", step.name, reply.TYPE, causation_id),))
    received = Entry("reply", step.name, _describe(reply), causation_id)
    if saga.phase == "do":
        decision = _on_forward_reply(saga, step, reply, now, timing)
    elif saga.phase == "undo":
        decision = _on_compensation_reply(saga, step, reply, now, timing)
    else:
        decision = _on_status(saga, reply, now, timing)
    return Decision(saga, log=(received,)).then(decision)


def on_deadline(
    saga: Saga, now: dt.datetime, timing: Timing, *, delivered: bool = True
) -> Decision:
    """`delivered`: whether the pending command has reached its receiver (the caller asks
    the outbox and the broker; True when it cannot be told apart from delivered)."""
    if saga.terminal or saga.deadline is None or now < saga.deadline:
        return Decision(saga)
    step = SAGA[saga.step]
    if not delivered and _patient(saga, now, timing):
        return _wait_for_delivery(saga, step, now, timing)
    if saga.waiting:  # arrived (or patience ran out): the receiver gets its whole attempt
        arrived = saga.model_copy(
            update={"waiting": False, "deadline": _after(now, _attempt_time(saga, timing))}
        )
        return Decision(arrived, log=(Entry("delivered", step.name, f"{saga.phase}"),))
    timed_out = Decision(
        saga, log=(Entry("timeout", step.name, f"{saga.phase} attempt {saga.attempt}"),)
    )
    if saga.phase == "query":
        if saga.attempt >= timing.max_queries:
            return timed_out.then(
                _park(saga, "payout_outcome_unknown", "the bank's answer stayed unknown", now)
            )
        return timed_out.then(_query(saga, saga.attempt + 1, now, timing))
    limit = timing.retriable_attempts if step.kind == "retriable" else timing.max_attempts
    if saga.attempt < limit:
        return timed_out.then(_send(saga, step, saga.phase, saga.attempt + 1, now, timing))
    if saga.phase == "undo":
        return timed_out.then(
            _park(saga, "compensation_stuck", f"{step.name}: no answer to its compensation", now)
        )
    if step.kind == "compensatable":
        failure = Failure(reason="step_timeout", detail=f"{step.name}: no answer")
        return timed_out.then(
            _compensate(saga, failure, include_current=True, now=now, timing=timing)
        )
    if step.kind == "pivot":
        return timed_out.then(_query(saga, 1, now, timing))
    return timed_out.then(_park(saga, "step_stuck", f"{step.name}: no answer", now))


def _patient(saga: Saga, now: dt.datetime, timing: Timing) -> bool:
    return saga.since is not None and (now - saga.since).total_seconds() < timing.patience_s


def _wait_for_delivery(saga: Saga, step: Step, now: dt.datetime, timing: Timing) -> Decision:
    held = saga.model_copy(update={"waiting": True, "deadline": _after(now, timing.recheck_s)})
    if saga.waiting:
        return Decision(held)
    entry = Entry("waiting", step.name, f"{saga.phase}: the command has not reached its receiver")
    return Decision(held, log=(entry,))


def _attempt_time(saga: Saga, timing: Timing) -> float:
    return timing.query_interval_s if saga.phase == "query" else _backoff(saga.attempt, timing)


# --- forward ----------------------------------------------------------------------------


def _forward(saga: Saga, index: int, now: dt.datetime, timing: Timing) -> Decision:
    while index < len(SAGA) and not SAGA[index].applies(saga.request):
        index += 1
    if index == len(SAGA):
        return _complete(saga, now)
    step = SAGA[index]
    started = (*saga.started, index) if step.undo is not None else saga.started
    saga = saga.model_copy(update={"step": index, "phase": "do", "started": started})
    return _send(saga, step, "do", 1, now, timing)


def _on_forward_reply(
    saga: Saga, step: Step, reply: Message, now: dt.datetime, timing: Timing
) -> Decision:
    if isinstance(reply, step.succeeded):
        saga = saga.model_copy(update={"results": step.record(saga.results, reply)})
        return _forward(saga, saga.step + 1, now, timing)
    if isinstance(reply, step.unknown):
        return _query(saga, 1, now, timing)
    if isinstance(reply, (*step.rejected, Rejected)):
        failure = Failure(reason=_reason(reply), detail=f"{step.name}: {_detail(reply)}")
        if step.kind == "retriable":
            return _park(saga, failure.reason, failure.detail, now)
        return _compensate(saga, failure, include_current=False, now=now, timing=timing)
    return Decision(saga, log=(Entry("unexpected_reply", step.name, reply.TYPE),))


def _on_status(saga: Saga, reply: Message, now: dt.datetime, timing: Timing) -> Decision:
    if not isinstance(reply, PayoutStatus) or reply.state in ("unknown", "not_found"):
        # not decided yet: ask again at the next deadline
        return Decision(saga.model_copy(update={"deadline": _after(now, timing.query_interval_s)}))
    if reply.state in ("sent", "settled"):
        results = saga.results.model_copy(update={"payout_id": reply.payout_id})
        return _forward(saga.model_copy(update={"results": results}), PIVOT + 1, now, timing)
    if reply.state == "rejected":
        failure = Failure(reason="payout_rejected", detail=f"payout: {reply.detail}")
        return _compensate(saga, failure, include_current=False, now=now, timing=timing)
    return _park(saga, "payout_returned", f"payout: {reply.detail}", now)


def _complete(saga: Saga, now: dt.datetime) -> Decision:
    request = saga.request
    paid = saga.results.paid if request.converts else request.par_value
    assert paid is not None
    saga = saga.model_copy(update={"status": Status.COMPLETED, "pending": None, "deadline": None})
    outcome = RedemptionCompleted(
        redemption_id=request.redemption_id, burned=request.amount, paid=paid, completed_at=now
    )
    return Decision(saga, outcome=outcome, log=(Entry("completed", "", str(paid)),))


# --- compensation -----------------------------------------------------------------------


def _compensate(
    saga: Saga, failure: Failure, *, include_current: bool, now: dt.datetime, timing: Timing
) -> Decision:
    steps = [i for i in saga.started if include_current or i != saga.step]
    saga = saga.model_copy(
        update={
            "status": Status.COMPENSATING,
            "failure": failure,
            "to_undo": tuple(reversed(steps)),
        }
    )
    entry = Entry("compensating", SAGA[saga.step].name, f"{failure.reason}: {failure.detail}")
    return Decision(saga, log=(entry,)).then(_next_compensation(saga, now, timing))


def _next_compensation(saga: Saga, now: dt.datetime, timing: Timing) -> Decision:
    if not saga.to_undo:
        return _fail(saga, now)
    index, rest = saga.to_undo[0], saga.to_undo[1:]
    saga = saga.model_copy(update={"step": index, "phase": "undo", "to_undo": rest})
    return _send(saga, SAGA[index], "undo", 1, now, timing)


def _on_compensation_reply(
    saga: Saga, step: Step, reply: Message, now: dt.datetime, timing: Timing
) -> Decision:
    if isinstance(reply, step.undone):
        return _next_compensation(saga, now, timing)
    if isinstance(reply, (*UNDO_REFUSED, Rejected)):
        return _park(saga, "compensation_refused", f"{step.name}: {_detail(reply)}", now)
    return Decision(saga, log=(Entry("unexpected_reply", step.name, reply.TYPE),))


def _fail(saga: Saga, now: dt.datetime) -> Decision:
    failure = saga.failure or Failure(reason="failed", detail="")
    saga = saga.model_copy(update={"status": Status.FAILED, "pending": None, "deadline": None})
    outcome = RedemptionFailed(
        redemption_id=saga.request.redemption_id, reason=failure.reason, detail=failure.detail
    )
    return Decision(saga, outcome=outcome, log=(Entry("failed", "", failure.reason),))


def _park(saga: Saga, reason: str, detail: str, now: dt.datetime) -> Decision:
    saga = saga.model_copy(
        update={
            "status": Status.NEEDS_REVIEW,
            "pending": None,
            "deadline": None,
            "failure": Failure(reason=reason, detail=detail),
        }
    )
    outcome = RedemptionNeedsReview(
        redemption_id=saga.request.redemption_id, reason=reason, detail=detail
    )
    return Decision(saga, outcome=outcome, log=(Entry("needs_review", "", f"{reason}: {detail}"),))


# --- sending ----------------------------------------------------------------------------


def _send(
    saga: Saga, step: Step, phase: Phase, attempt: int, now: dt.datetime, timing: Timing
) -> Decision:
    build = step.do if phase == "do" else step.undo
    assert build is not None
    message_id = command_id(saga, step.name, phase)
    saga = saga.model_copy(
        update={
            "phase": phase,
            "attempt": attempt,
            "pending": message_id,
            "deadline": _after(now, _backoff(attempt, timing)),
            "since": now if attempt == 1 else saga.since,
            "waiting": False,
        }
    )
    send = Send(step.name, phase, step.topic, step.key(saga.request), message_id, build(saga))
    verb = "command" if attempt == 1 else "resend"
    return Decision(saga, (send,), log=(Entry(verb, step.name, send.payload.TYPE, message_id),))


def _query(saga: Saga, attempt: int, now: dt.datetime, timing: Timing) -> Decision:
    step = SAGA[PIVOT]
    # a fresh id per query: the answer may change, and an inbox would replay the old one
    message_id = command_id(saga, step.name, "query", str(attempt))
    saga = saga.model_copy(
        update={
            "status": Status.RECONCILING,
            "step": PIVOT,
            "phase": "query",
            "attempt": attempt,
            "pending": message_id,
            "deadline": _after(now, timing.query_interval_s),
            "since": now,  # each query is a new command, with a new id
            "waiting": False,
        }
    )
    payload = QueryPayout(redemption_id=saga.request.redemption_id)
    send = Send(step.name, "query", step.topic, step.key(saga.request), message_id, payload)
    return Decision(saga, (send,), log=(Entry("query", step.name, payload.TYPE, message_id),))


def command_id(saga: Saga, *path: str) -> uuid.UUID:
    """The id of one of the saga's commands: the same for every re-send, and out of reach of
    anyone without the saga's salt (a saga started before salts keeps its old ids)."""
    salted = (saga.salt, *path) if saga.salt is not None else path
    return derive_id(saga.request.redemption_id, *salted)


def _backoff(attempt: int, timing: Timing) -> float:
    return min(timing.max_backoff_s, timing.step_timeout_s * 2.0 ** (attempt - 1))


def _after(now: dt.datetime, seconds: float) -> dt.datetime:
    return now + dt.timedelta(seconds=seconds)


def _reason(reply: Message) -> str:
    return str(getattr(reply, "reason", "rejected"))


def _detail(reply: Message) -> str:
    detail = getattr(reply, "detail", "") or getattr(reply, "reason", "")
    return f"{reply.TYPE}: {detail}" if detail else reply.TYPE


def _describe(reply: Message) -> str:
    reason = getattr(reply, "reason", None) or getattr(reply, "state", None)
    return f"{reply.TYPE} ({reason})" if reason else reply.TYPE
