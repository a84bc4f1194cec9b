"""What a redeem request must satisfy before the saga starts, and the refusal otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from schemas.money import par_cnh
from schemas.redemption import RedemptionFailed
from schemas.signing import expired
from services.redemption.domain.decide import Decision, Entry
from services.redemption.domain.state import Failure, Request, Saga, Status


class QuoteSeen(Protocol):
    """The quote request this service forwarded to FX for a redemption, as stored."""

    @property
    def customer_id(self) -> uuid.UUID: ...
    @property
    def wallet_id(self) -> uuid.UUID: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def payout_currency(self) -> str: ...
    @property
    def quote_id(self) -> uuid.UUID | None: ...
    @property
    def status(self) -> str: ...
    @property
    def expires_at(self) -> dt.datetime | None: ...


def claims(request: Request, quote: QuoteSeen | None) -> bool:
    """Whether a redeem request may take its redemption id: not when a quote was asked under
    that id for another customer or wallet. A quoted redemption's id is public (it is on
    redemption.events before the redeem request comes); whoever else sends a request under
    it must not end the quote owner's redemption before it starts."""
    if quote is None:
        return True
    return (quote.customer_id, quote.wallet_id) == (request.customer_id, request.wallet_id)


def replayed(request: Request, signed_for: uuid.UUID | None) -> Failure | None:
    """A signature already carried by another redemption's request is refused: it approves
    that redemption alone (its id is a signed term), so a copy under a new id is someone
    else's attempt, refused here before it costs any service a step. `signed_for`: the
    redemption whose request carried this signature first, if any."""
    if signed_for is None or signed_for == request.redemption_id:
        return None
    return Failure(
        reason="signature_replayed",
        detail="this signature approved another redemption",
    )


def validate(request: Request, quote: QuoteSeen | None, arrived: dt.datetime) -> Failure | None:
    """`arrived`: when the request reached the platform. Its terms are judged then: what
    arrived in time is honoured by every step after it, however long they take."""
    if expired(request.deadline, arrived):
        return Failure(reason="signature_expired", detail="the request's signed deadline passed")
    if request.amount.amount_minor == 0:
        return Failure(reason="invalid_amount", detail="nothing to redeem")
    try:
        par_cnh(request.amount)
    except ValueError as exc:
        return Failure(reason="invalid_amount", detail=str(exc))
    if not request.converts:
        return None
    if request.quote_id is None:
        return Failure(
            reason="quote_required",
            detail=f"a {request.payout_currency} payout needs a firm quote first",
        )
    if quote is None or quote.status != "quoted" or quote.quote_id != request.quote_id:
        return Failure(
            reason="quote_unknown", detail="no firm quote of this service matches this redemption"
        )
    asked = (quote.customer_id, quote.wallet_id, quote.amount_minor, quote.payout_currency)
    given = (
        request.customer_id,
        request.wallet_id,
        request.amount.amount_minor,
        request.payout_currency,
    )
    if asked != given:
        return Failure(reason="quote_mismatch", detail="the request differs from what was quoted")
    if quote.expires_at is not None and arrived >= quote.expires_at:
        return Failure(
            reason="quote_expired",
            detail=f"the request arrived after its quote expired at {quote.expires_at.isoformat()}",
        )
    return None


def refuse(request: Request, failure: Failure, now: dt.datetime) -> Decision:
    """A saga that ends before it starts: recorded, so a repeat gets the same answer."""
    saga = Saga(
        request=request,
        status=Status.FAILED,
        step=0,
        phase="do",
        attempt=0,
        pending=None,
        deadline=None,
        failure=failure,
    )
    outcome = RedemptionFailed(
        redemption_id=request.redemption_id, reason=failure.reason, detail=failure.detail
    )
    return Decision(
        saga,
        outcome=outcome,
        log=(Entry("refused", "request", f"{failure.reason}: {failure.detail}"),),
    )
