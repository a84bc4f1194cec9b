"""A reply of the saga's steps (redemption.replies): it moves the saga it answers, as the
decision function says; a stale one is logged and ignored."""

from __future__ import annotations

from schemas import Message, Rejected
from services.redemption.domain.decide import on_reply
from services.redemption.use_cases.carry_out import carry_out
from services.redemption.use_cases.quotes import quote_answered
from services.redemption.use_cases.work import RedemptionWork
from services.runtime.logging import get_logger

log = get_logger(__name__)


async def step_replied(work: RedemptionWork, reply: Message) -> None:
    saga = await work.sagas.of(work.correlation_id)
    if saga is None:
        if isinstance(reply, Rejected):  # FX's runtime refused our quote request
            await quote_answered(work, reply)
            return
        log.warning("reply for an unknown redemption; ignored", reply=reply.TYPE)
        return
    now = work.now()
    carry_out(work, on_reply(saga, work.causation_id, reply, now, work.terms), now)
