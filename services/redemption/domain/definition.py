"""The saga, declared: each step with its command, its outcomes and, beside it, its
compensation (design section 5). The order of SAGA is the business process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from schemas import Message
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    ExecuteConversion,
    ReversalRejected,
    ReverseConversion,
)
from schemas.issuance import (
    Burned,
    BurnHeld,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
from schemas.kyc import (
    CheckEligibility,
    Eligible,
    Ineligible,
    ReleaseReservation,
    ReservationReleased,
)
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutSent,
    ReleaseReserve,
    ReserveReleased,
    SendPayout,
)
from services.redemption.domain.state import Request, Results, Saga

Kind = Literal["compensatable", "pivot", "retriable"]


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    topic: str
    key: Callable[[Request], str]
    """Record key: the aggregate the receiving service orders by."""
    do: Callable[[Saga], Message]
    succeeded: type[Message]
    record: Callable[[Results, Message], Results]
    rejected: tuple[type[Message], ...] = ()
    """Definite business refusals: nothing was done."""
    undo: Callable[[Saga], Message] | None = None
    undone: tuple[type[Message], ...] = ()
    """Replies meaning the compensation holds (including "there was nothing to undo")."""
    unknown: tuple[type[Message], ...] = ()
    """Replies meaning the outcome is not known yet (the pivot only)."""
    applies: Callable[[Request], bool] = lambda request: True


def _customer(request: Request) -> str:
    return str(request.customer_id)


def _wallet(request: Request) -> str:
    return str(request.wallet_id)


def _redemption(request: Request) -> str:
    return str(request.redemption_id)


def _keep(results: Results, reply: Message) -> Results:
    return results


def _reservation(results: Results, reply: Message) -> Results:
    assert isinstance(reply, Eligible)
    return results.model_copy(update={"reservation_id": reply.reservation_id})


def _hold(results: Results, reply: Message) -> Results:
    assert isinstance(reply, HoldPlaced)
    return results.model_copy(update={"hold_id": reply.hold_id})


def _conversion(results: Results, reply: Message) -> Results:
    assert isinstance(reply, ConversionExecuted)
    return results.model_copy(update={"conversion_id": reply.conversion_id, "paid": reply.bought})


def _payout(results: Results, reply: Message) -> Results:
    assert isinstance(reply, PayoutSent)
    return results.model_copy(update={"payout_id": reply.payout_id})


def _burn(results: Results, reply: Message) -> Results:
    assert isinstance(reply, Burned)
    return results.model_copy(update={"burn_id": reply.burn_id})


def payout_amount(saga: Saga) -> Message:
    request = saga.request
    paid = saga.results.paid if request.converts else request.par_value
    assert paid is not None, "a converted payout needs the conversion's result"
    return SendPayout(
        redemption_id=request.redemption_id,
        customer_id=request.customer_id,
        amount=paid,
        beneficiary_account_id=request.beneficiary_account_id,
        par_value=request.par_value,
        conversion_id=saga.results.conversion_id,
    )


SAGA: tuple[Step, ...] = (
    Step(
        "eligibility",
        "compensatable",
        "kyc.commands",
        _customer,
        do=lambda s: CheckEligibility(
            redemption_id=s.request.redemption_id,
            customer_id=s.request.customer_id,
            wallet_id=s.request.wallet_id,
            amount=s.request.amount,
            payout_currency=s.request.payout_currency,
            beneficiary_account_id=s.request.beneficiary_account_id,
            quote_id=s.request.quote_id,
            deadline=s.request.deadline,
            signature=s.request.signature,  # the holder's approval of all of the above
            accepted_at=s.request.accepted_at,
        ),
        succeeded=Eligible,
        record=_reservation,
        rejected=(Ineligible,),
        undo=lambda s: ReleaseReservation(redemption_id=s.request.redemption_id),
        undone=(ReservationReleased,),
    ),
    Step(
        "hold",
        "compensatable",
        "issuance.commands",
        _wallet,
        do=lambda s: PlaceHold(
            redemption_id=s.request.redemption_id,
            wallet_id=s.request.wallet_id,
            amount=s.request.amount,
        ),
        succeeded=HoldPlaced,
        record=_hold,
        rejected=(HoldRejected,),
        undo=lambda s: ReleaseHold(redemption_id=s.request.redemption_id),
        undone=(HoldReleased,),
    ),
    Step(
        "conversion",
        "compensatable",
        "fx.commands",
        _redemption,
        do=lambda s: ExecuteConversion(
            redemption_id=s.request.redemption_id,
            quote_id=s.request.quote_id,  # type: ignore[arg-type]  # applies() ensures it
            accepted_at=s.request.accepted_at,  # the quote is firm from then on
        ),
        succeeded=ConversionExecuted,
        record=_conversion,
        rejected=(ConversionRejected,),
        undo=lambda s: ReverseConversion(redemption_id=s.request.redemption_id),
        undone=(ConversionReversed, ReversalRejected),  # "unknown": nothing ran, now cancelled
        applies=lambda request: request.converts,
    ),
    Step(
        "payout",
        "pivot",
        "settlement.commands",
        _redemption,
        do=payout_amount,
        succeeded=PayoutSent,
        record=_payout,
        rejected=(PayoutRejected,),
        unknown=(PayoutOutcomeUnknown,),
    ),
    Step(
        "burn",
        "retriable",
        "issuance.commands",
        _wallet,
        do=lambda s: BurnHeld(redemption_id=s.request.redemption_id),
        succeeded=Burned,
        record=_burn,
        rejected=(BurnRejected,),
    ),
    Step(
        "reserve",
        "retriable",
        "settlement.commands",
        _redemption,
        do=lambda s: ReleaseReserve(
            redemption_id=s.request.redemption_id, amount=s.request.par_value
        ),
        succeeded=ReserveReleased,
        record=_keep,
    ),
)

PIVOT = next(index for index, step in enumerate(SAGA) if step.kind == "pivot")
UNDO_REFUSED: tuple[type[Message], ...] = (ReleaseRejected,)
"""A compensation the receiver refuses: an operator must look (it cannot happen before the
pivot unless something else is wrong)."""
