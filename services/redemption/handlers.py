"""The saga's entrypoints: redeem and quote requests from the wallet gateway, and the
replies of the services it commands. Thin: validate, load, decide, carry out."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from schemas import Envelope, Message, Rejected, derive_id
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    QuoteIssued,
    QuoteRejected,
    RequestQuote,
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
from schemas.money import TOKEN, Money, par_cnh
from schemas.redemption import QuoteRedemption, Redeem, RedemptionFailed, RedemptionQuoted
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutSent,
    PayoutStatus,
    ReserveReleased,
)
from services.redemption import repository
from services.redemption.domain.decide import Decision, Timing, on_reply, start
from services.redemption.domain.requests import claims, refuse, replayed, validate
from services.redemption.domain.state import Request
from services.redemption.saga_runner import EVENTS, REPLIES, carry_out
from services.runtime.clock import accepted_at
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)

SAGA_REPLIES: tuple[type[Message], ...] = (
    Eligible, Ineligible, ReservationReleased,
    HoldPlaced, HoldRejected, HoldReleased, ReleaseRejected, Burned, BurnRejected,
    ConversionExecuted, ConversionRejected, ConversionReversed, ReversalRejected,
    PayoutSent, PayoutRejected, PayoutOutcomeUnknown, PayoutStatus, ReserveReleased,
    Rejected,
)  # fmt: skip


QUOTE_REPLIES = (QuoteIssued, QuoteRejected)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build(timing: Timing) -> list[Subscription]:
    requests = Subscription("redemption.requests")
    replies = Subscription(REPLIES)

    @requests.handles(Redeem)
    async def redeem(ctx: HandlerContext[Redeem], command: Redeem) -> None:
        now = _now()
        # the broker stamps the topic on arrival: time spent waiting in the platform (a
        # consumer catching up after a fault) is the platform's, never the customer's
        arrived = accepted_at(ctx.appended_at, now)
        request = Request(
            redemption_id=command.redemption_id,
            customer_id=command.customer_id,
            wallet_id=command.wallet_id,
            amount=command.amount,
            payout_currency=command.payout_currency,
            quote_id=command.quote_id,
            beneficiary_account_id=command.beneficiary_account_id,
            deadline=command.deadline,
            signature=command.signature,
            accepted_at=arrived,
        )
        quote = await ctx.staged(repository.Quotes).get(command.redemption_id)
        if not claims(request, quote):
            log.warning("redeem request under a redemption id quoted to another holder; ignored")
            return
        replay = replayed(request, await repository.signed_for(ctx.connection, request.signature))
        problem = replay or validate(request, quote, arrived)
        decision = (
            refuse(request, problem, now)
            if problem
            else start(request, now, timing, secrets.token_hex(16))
        )
        # a replayed signature stays its first redemption's: the refusal does not claim it
        claimed = None if replay else request.signature
        if not await repository.insert(ctx.connection, decision.saga, claimed):
            if not await repository.exists(ctx.connection, request.redemption_id):
                raise TransientError("a concurrent request carried the same signature")
            await _repeat(ctx, command)
            return
        carry_out(ctx.staged(repository.SagaWrites), decision, ctx, now)

    @requests.handles(QuoteRedemption)
    async def quote(ctx: HandlerContext[QuoteRedemption], command: QuoteRedemption) -> None:
        rid = command.redemption_id
        quotes = ctx.staged(repository.Quotes)
        known = await quotes.get(rid)
        if known is not None:
            if known.outcome is not None:
                ctx.republish(EVENTS, str(rid), known.outcome)  # same question, same answer
            return
        try:
            sell = par_cnh(command.amount)
        except ValueError as exc:
            failed = RedemptionFailed(redemption_id=rid, reason="invalid_amount", detail=str(exc))
            ctx.publish(EVENTS, str(rid), failed, correlation_id=rid)
            return
        await quotes.add(
            repository.QuoteRequest(
                rid,
                command.customer_id,
                command.wallet_id,
                command.amount.amount_minor,
                command.payout_currency,
                quote_id=None,
                status="requested",
                outcome=None,
            )
        )
        ask = RequestQuote(redemption_id=rid, sell=sell, buy_currency=command.payout_currency)
        ctx.publish(
            "fx.commands",
            str(rid),
            ask,
            correlation_id=rid,
            reply_to=REPLIES,
            message_id=derive_id(rid, "quote"),
        )

    async def quoted(ctx: HandlerContext[Message], reply: Message) -> None:
        rid = ctx.message.correlation_id
        quotes = ctx.staged(repository.Quotes)
        known = await quotes.get(rid)
        if known is None or known.status != "requested":
            log.info("quote reply for no open quote request; ignored", reply=reply.TYPE)
            return
        if isinstance(reply, QuoteIssued):
            event: Message = RedemptionQuoted(
                redemption_id=rid,
                quote_id=reply.quote_id,
                amount=Money(amount_minor=known.amount_minor, currency=TOKEN),
                payout=reply.buy,
                rate=reply.rate,
                fee=reply.fee,
                expires_at=reply.expires_at,
            )
            quote_id, status, expires_at = reply.quote_id, "quoted", reply.expires_at
        else:
            reason = getattr(reply, "reason", "rejected")
            event = RedemptionFailed(
                redemption_id=rid,
                reason=f"quote_{reason}",
                detail=str(getattr(reply, "detail", "")),
            )
            quote_id, status, expires_at = None, "rejected", None
        env = ctx.publish(
            EVENTS,
            str(rid),
            event,
            correlation_id=rid,
            message_id=derive_id(rid, "quote", "outcome"),
        )
        await quotes.settle(known, quote_id, status, env.to_bytes(), expires_at)

    for quote_reply in QUOTE_REPLIES:
        replies.handles(quote_reply)(quoted)

    async def step_reply(ctx: HandlerContext[Message], reply: Message) -> None:
        rid = ctx.message.correlation_id
        writes = ctx.staged(repository.SagaWrites)
        # a saga this batch already moved is locked, and newer than its row
        saga = writes.pending(rid) or await repository.lock(ctx.connection, rid)
        if saga is None:
            if isinstance(reply, Rejected):  # FX's runtime refused our quote request
                await quoted(ctx, reply)
                return
            log.warning("reply for an unknown redemption; ignored", reply=reply.TYPE)
            return
        now = _now()
        decision: Decision = on_reply(saga, ctx.message.causation_id, reply, now, timing)
        carry_out(writes, decision, ctx, now)

    for reply_type in SAGA_REPLIES:
        replies.handles(reply_type)(step_reply)

    async def lock_quotes(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        ids = [m.payload.redemption_id for m in batch]
        await uow.staged(repository.Quotes).lock_all(ids)

    async def lock_sagas(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        await uow.staged(repository.SagaWrites).lock_all(m.correlation_id for m in batch)
        quoting = [m.correlation_id for m in batch if isinstance(m.payload, QUOTE_REPLIES)]
        if quoting:
            await uow.staged(repository.Quotes).lock_all(quoting)

    requests.prepare, replies.prepare = lock_quotes, lock_sagas
    return [requests, replies]


async def _repeat(ctx: HandlerContext[Redeem], command: Redeem) -> None:
    """A repeated request: no second saga; a finished one answers with the same outcome."""
    rid = command.redemption_id
    outcome = ctx.staged(repository.SagaWrites).pending_outcome(rid) or await repository.outcome_of(
        ctx.connection, rid
    )
    if outcome is not None:
        ctx.republish(EVENTS, str(rid), outcome)
    log.info("repeated redeem request", finished=outcome is not None)
