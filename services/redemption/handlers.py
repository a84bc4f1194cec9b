"""The saga's entrypoints: redeem and quote requests from the wallet gateway
(redemption.requests), and the replies of the services it commands (redemption.replies).
Each message type maps to its use case; a batch's `prepare` locks and reads the rows its
messages will move, in one query each."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from schemas import Envelope, Message, Rejected
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    QuoteIssued,
    QuoteRejected,
    ReversalRejected,
)
from schemas.issuance import (
    Burned,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    ReleaseRejected,
)
from schemas.kyc import Eligible, Ineligible, ReservationReleased
from schemas.redemption import QuoteRedemption, Redeem
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutSent,
    PayoutStatus,
    ReserveReleased,
)
from services.redemption.domain.decide import Timing
from services.redemption.repository.quotes import Quotes
from services.redemption.repository.sagas import Sagas
from services.redemption.repository.work import SqlWork
from services.redemption.use_cases.carry_out import REPLIES
from services.redemption.use_cases.quotes import quote_answered, quote_redemption
from services.redemption.use_cases.requests import redeem
from services.redemption.use_cases.steps import step_replied
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import handler

SAGA_REPLIES: tuple[type[Message], ...] = (
    Eligible, Ineligible, ReservationReleased,
    HoldPlaced, HoldRejected, HoldReleased, ReleaseRejected, Burned, BurnRejected,
    ConversionExecuted, ConversionRejected, ConversionReversed, ReversalRejected,
    PayoutSent, PayoutRejected, PayoutOutcomeUnknown, PayoutStatus, ReserveReleased,
    Rejected,
)  # fmt: skip
QUOTE_REPLIES = (QuoteIssued, QuoteRejected)

Works = Callable[[HandlerContext[Any]], SqlWork]


def subscriptions(timing: Timing) -> list[Subscription]:
    work: Works = functools.partial(SqlWork, terms=timing)
    requests = Subscription("redemption.requests")
    requests.handles(Redeem)(handler(redeem, work))
    requests.handles(QuoteRedemption)(handler(quote_redemption, work))
    requests.prepare = _lock_quotes

    replies = Subscription(REPLIES)
    for quote_reply in QUOTE_REPLIES:
        replies.handles(quote_reply)(handler(quote_answered, work))
    for reply_type in SAGA_REPLIES:
        replies.handles(reply_type)(handler(step_replied, work))
    replies.prepare = _lock_sagas
    return [requests, replies]


async def _lock_quotes(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
    await uow.staged(Quotes).lock_all(m.payload.redemption_id for m in batch)


async def _lock_sagas(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
    await uow.staged(Sagas).lock_all(m.correlation_id for m in batch)
    quoting = [m.correlation_id for m in batch if isinstance(m.payload, QUOTE_REPLIES)]
    if quoting:
        await uow.staged(Quotes).lock_all(quoting)
