"""IndividualApplication, CorporateApplication: a customer decided once, screened against
every active sanctions list, particulars kept encrypted at rest."""

from __future__ import annotations

from schemas.kyc import (
    Application,
    CustomerReferred,
    CustomerRejected,
    CustomerVerified,
    IndividualParticulars,
)
from schemas.message import Message
from services.kyc import pii
from services.kyc.domain.onboarding import birth_date_refusal, decide_application
from services.kyc.domain.records import Customer, HistoryEntry
from services.kyc.domain.screening import Screener
from services.kyc.use_cases.work import KycWork
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError

log = get_logger(__name__)

EVENTS = "kyc.events"


async def onboard(work: KycWork, app: Application) -> None:
    customer_id = app.customer_id
    if await work.customers.of(customer_id, lock=True) is not None:
        # decided once: a second application for the id changes nothing (and says so)
        await work.history.record(
            HistoryEntry(
                "application_ignored", "onboarding", customer_id=customer_id,
                reason="customer_exists", cause_id=work.message_id,
            )
        )  # fmt: skip
        log.info("application for a known customer ignored", customer_id=str(customer_id))
        return
    # in memory only: a value that does not open is dead-lettered with the SealError's
    # reason by the runtime (services/runtime/errors.py), never echoed
    particulars = pii.open_particulars(work.terms.opening, app)
    screener = await active_screener(work)
    match = screener.screen(pii.subject_of(particulars))
    outcome = work.terms.thresholds.outcome(match.score)
    refusal = (
        birth_date_refusal(particulars.date_of_birth, work.now())
        if isinstance(particulars, IndividualParticulars)
        else None
    )
    decision = decide_application(outcome, app.due_diligence, refusal)
    customer = Customer(
        customer_id=customer_id,
        kind=pii.kind_of(particulars),
        status=decision.status,
        tier=decision.tier,
        due_diligence=app.due_diligence,
        frozen=False,
        freeze_reason=None,
        sanctioned=decision.sanctioned,
        particulars=pii.seal(work.terms.keyring, customer_id, particulars),
    )
    if not await work.customers.insert(customer, work.message_id):
        raise TransientError("a concurrent application created the customer")
    await work.screenings.record(customer_id, screener.version, match, outcome)
    await work.history.record(
        HistoryEntry(
            f"application_{decision.status}", "onboarding", customer_id=customer_id,
            reason=decision.reason or f"screening_{outcome}", cause_id=work.message_id,
        )
    )  # fmt: skip
    work.publish(EVENTS, str(customer_id), _announced(customer, decision.reason))
    log.info(
        "application decided",
        customer_id=str(customer_id),
        status=decision.status,
        tier=decision.tier,
        score=match.score,
        entry_ref=match.entry_ref,
        list_version=screener.version,
    )


async def active_screener(work: KycWork) -> Screener:
    """Every active list; none yet is a neighbour not ready, never a defect of the
    application: retried until the lists are there."""
    screener = await work.lists.active_screener()
    if screener is None:
        # the service loads its bundled list before consuming; this is a race at most
        raise TransientError("no sanctions list is loaded yet")
    return screener


def _announced(customer: Customer, reason: str | None) -> Message:
    if customer.status == "verified":
        return CustomerVerified(
            customer_id=customer.customer_id, tier=customer.tier,
            due_diligence=customer.due_diligence,
        )  # fmt: skip
    if customer.status == "rejected":
        return CustomerRejected(customer_id=customer.customer_id, reason=reason or "rejected")
    return CustomerReferred(customer_id=customer.customer_id, reason=reason or "review")
