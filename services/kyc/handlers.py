"""KYC's entrypoints: applications and wallet registrations (kyc.applications), eligibility
checks and reservation releases (kyc.commands). Thin: rules are in `domain`, SQL in
`repository`. Log lines and events carry ids and decisions, never personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Literal

import asyncpg

from schemas import Envelope
from schemas.ids import derive_id
from schemas.kyc import (
    Application,
    CheckEligibility,
    CorporateApplication,
    CustomerReferred,
    CustomerRejected,
    CustomerVerified,
    Eligible,
    IndividualApplication,
    IndividualParticulars,
    Ineligible,
    RegisterWallet,
    ReleaseReservation,
    ReservationReleased,
    WalletRegistered,
)
from schemas.message import Message
from schemas.signing import redemption_typed_data
from services.kyc import pii, repository
from services.kyc.domain import eligibility
from services.kyc.domain.onboarding import birth_date_refusal, decide_application
from services.kyc.domain.wallets import (
    address_refusal,
    new_deposit_reference,
    proof_of_control,
    redemption_signer,
)
from services.kyc.sanctions import active_screener
from services.kyc.wiring import Kyc
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)

EVENTS = "kyc.events"


def build_subscriptions(kyc: Kyc) -> list[Subscription]:
    applications = Subscription("kyc.applications")
    commands = Subscription("kyc.commands")

    @applications.handles(IndividualApplication)
    async def individual(
        ctx: HandlerContext[IndividualApplication], app: IndividualApplication
    ) -> None:
        await onboard(kyc, ctx, app)

    @applications.handles(CorporateApplication)
    async def corporate(
        ctx: HandlerContext[CorporateApplication], app: CorporateApplication
    ) -> None:
        await onboard(kyc, ctx, app)

    @applications.handles(RegisterWallet)
    async def wallet(ctx: HandlerContext[RegisterWallet], command: RegisterWallet) -> None:
        await register_wallet(ctx, command)

    async def screen_with_settled_lists(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        # Before any row lock: a list change (which holds the lock exclusively) waits for
        # the applications in flight, and they wait for it, so none is decided against a
        # list a load has just replaced and missed by its re-screening.
        if any(isinstance(m.payload, (IndividualApplication, CorporateApplication)) for m in batch):
            await repository.share_sanctions_lock(uow.connection)

    applications.prepare = screen_with_settled_lists

    async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
        locked = uow.staged(repository.Eligibility)
        checks = [m.payload for m in batch if isinstance(m.payload, CheckEligibility)]
        if checks:
            await locked.customers.load(c.customer_id for c in checks)
        decided = [
            m.payload.redemption_id
            for m in batch
            if isinstance(m.payload, (CheckEligibility, ReleaseReservation))
        ]
        if decided:
            await locked.checks.load(decided)

    commands.prepare = lock_in_order

    @commands.handles(CheckEligibility)
    async def check(ctx: HandlerContext[CheckEligibility], command: CheckEligibility) -> Message:
        return await check_eligibility(kyc, ctx, command)

    @commands.handles(ReleaseReservation)
    async def release(
        ctx: HandlerContext[ReleaseReservation], command: ReleaseReservation
    ) -> Message:
        return await release_reservation(ctx, command)

    return [applications, commands]


# --- onboarding ----------------------------------------------------------------------------


async def onboard(kyc: Kyc, ctx: HandlerContext[Any], app: Application) -> None:
    conn, customer_id = ctx.connection, app.customer_id
    if await repository.customer(conn, customer_id, lock=True) is not None:
        # decided once: a second application for the id changes nothing (and says so)
        await repository.history(
            conn,
            "application_ignored",
            actor="onboarding",
            customer_id=customer_id,
            reason="customer_exists",
            cause_id=ctx.message.message_id,
        )
        log.info("application for a known customer ignored", customer_id=str(customer_id))
        return
    # in memory only: a value that does not open is dead-lettered with the SealError's
    # reason by the runtime (services/runtime/errors.py), never echoed
    particulars = pii.open_particulars(kyc.opening, app)
    screener = await active_screener(kyc, conn)
    match = screener.screen(pii.subject_of(particulars))
    outcome = kyc.thresholds.outcome(match.score)
    refusal = (
        birth_date_refusal(particulars.date_of_birth, dt.datetime.now(dt.UTC))
        if isinstance(particulars, IndividualParticulars)
        else None
    )
    decision = decide_application(outcome, app.due_diligence, refusal)
    inserted = await repository.insert_customer(
        conn,
        customer_id,
        pii.kind_of(particulars),
        decision.status,
        decision.tier,
        app.due_diligence,
        decision.sanctioned,
        pii.seal(kyc.keyring, customer_id, particulars),
        ctx.message.message_id,
    )
    if not inserted:
        raise TransientError("a concurrent application created the customer")
    await repository.record_screening(
        conn,
        customer_id,
        screener.version,
        match.score,
        match.entry_ref,
        outcome,
        match.entry_version,
    )
    await repository.history(
        conn,
        f"application_{decision.status}",
        actor="onboarding",
        customer_id=customer_id,
        reason=decision.reason or f"screening_{outcome}",
        cause_id=ctx.message.message_id,
    )
    event: Message
    if decision.status == "verified":
        event = CustomerVerified(
            customer_id=customer_id, tier=decision.tier, due_diligence=app.due_diligence
        )
    elif decision.status == "rejected":
        event = CustomerRejected(customer_id=customer_id, reason=decision.reason or "rejected")
    else:
        event = CustomerReferred(customer_id=customer_id, reason=decision.reason or "review")
    ctx.publish(EVENTS, str(customer_id), event)
    log.info(
        "application decided",
        customer_id=str(customer_id),
        status=decision.status,
        tier=decision.tier,
        score=match.score,
        entry_ref=match.entry_ref,
        list_version=screener.version,
    )


# --- wallets -------------------------------------------------------------------------------


async def register_wallet(ctx: HandlerContext[RegisterWallet], command: RegisterWallet) -> None:
    conn = ctx.connection
    customer_id, wallet_id = command.customer_id, command.wallet_id
    malformed = address_refusal(command.address)
    verified = malformed is None and proof_of_control(
        customer_id, wallet_id, command.address, command.signature
    )
    proof_signature = command.signature if verified else None

    async def refuse(reason: str) -> None:
        await repository.history(
            conn,
            "wallet_refused",
            actor="onboarding",
            customer_id=customer_id,
            wallet_id=wallet_id,
            reason=reason,
            cause_id=ctx.message.message_id,
        )
        log.warning(
            "wallet registration refused",
            customer_id=str(customer_id),
            wallet_id=str(wallet_id),
            reason=reason,
        )

    if malformed is not None:
        return await refuse(malformed)
    if await repository.customer(conn, customer_id, lock=True) is None:
        return await refuse("unknown_customer")
    existing = await repository.wallet(conn, wallet_id, lock=True)
    if existing is not None:
        if (existing["customer_id"], existing["address"]) != (customer_id, command.address):
            return await refuse("wallet_conflict")
        if existing["proof_of_control"] == "verified" or not verified:
            return None  # nothing new: a re-sent registration
        await repository.verify_wallet(conn, wallet_id, proof_signature)
        reference = existing["deposit_reference"]
    else:
        if await repository.address_taken(conn, command.address):
            return await refuse("address_in_use")
        reference = new_deposit_reference()
        await repository.insert_wallet(
            conn,
            wallet_id,
            customer_id,
            command.address,
            reference,
            "verified" if verified else "pending",
            proof_signature,
        )
    proof: Literal["verified", "pending"] = "verified" if verified else "pending"
    await repository.history(
        conn,
        "wallet_registered",
        actor="onboarding",
        customer_id=customer_id,
        wallet_id=wallet_id,
        reason=f"proof_{proof}",
        cause_id=ctx.message.message_id,
    )
    ctx.publish(
        EVENTS,
        str(customer_id),
        WalletRegistered(
            customer_id=customer_id,
            wallet_id=wallet_id,
            address=command.address,
            deposit_reference=reference,
            proof_of_control=proof,
        ),
    )
    log.info(
        "wallet registered", customer_id=str(customer_id), wallet_id=str(wallet_id), proof=proof
    )
    return None


# --- eligibility (saga step 1) and its compensation ----------------------------------------


async def check_eligibility(
    kyc: Kyc, ctx: HandlerContext[CheckEligibility], command: CheckEligibility
) -> Message:
    conn, redemption_id = ctx.connection, command.redemption_id
    locked = ctx.staged(repository.Eligibility)
    # The customer row lock serialises every check of this customer, across replicas:
    # the window sum below sees every reservation committed before it.
    row = await locked.customers.get(command.customer_id)
    earlier = await locked.checks.get(redemption_id)
    if earlier is not None:
        return _answer_again(redemption_id, earlier)  # one decision per redemption
    customer = (
        None
        if row is None
        else eligibility.CustomerView(
            status=row["status"],
            tier=row["tier"],
            due_diligence=row["due_diligence"],
            frozen=row["frozen"],
            sanctioned=row["sanctioned"],
        )
    )
    wallet_row, reserved = await repository.wallet_and_reserved(
        conn, command.wallet_id, command.customer_id
    )
    wallet = (
        None
        if wallet_row is None
        else eligibility.WalletView(
            customer_id=wallet_row["customer_id"],
            address=wallet_row["address"],
            proof_verified=wallet_row["proof_of_control"] == "verified",
            frozen=wallet_row["frozen"],
        )
    )
    signed = eligibility.Signed(
        signer=None if wallet is None else _signer(kyc, command, wallet.address),
        deadline=command.deadline,
    )
    reserved = reserved if row else 0
    amount = command.amount.amount_minor
    refusal = eligibility.check(
        kyc.policy,
        command.customer_id,
        customer,
        wallet,
        amount,
        reserved,
        signed,
        dt.datetime.now(dt.UTC),
    )
    reservation_id = derive_id(redemption_id, "kyc", "reservation") if refusal is None else None
    locked.checks.forget(redemption_id)
    ok = await repository.insert_check(
        conn,
        redemption_id,
        outcome="reserved" if refusal is None else "refused",
        customer_id=command.customer_id,
        wallet_id=command.wallet_id,
        amount_minor=amount,
        reason=refusal.reason if refusal else None,
        detail=refusal.detail if refusal else None,
        tier=row["tier"] if row else None,
        reservation_id=reservation_id,
        signature=command.signature,
    )
    reply: Message
    if refusal is None:
        assert row is not None  # eligible implies a known customer
        assert reservation_id is not None
        reply = Eligible(
            redemption_id=redemption_id, reservation_id=reservation_id, tier=row["tier"]
        )
    else:
        reply = Ineligible(
            redemption_id=redemption_id, reason=refusal.reason, detail=refusal.detail
        )
    if not ok:
        raise TransientError("a release for this redemption arrived meanwhile")
    log.info(
        "eligibility checked",
        redemption_id=str(redemption_id),
        customer_id=str(command.customer_id),
        outcome="eligible" if refusal is None else refusal.reason,
    )
    return reply


def _signer(kyc: Kyc, command: CheckEligibility, address: str) -> str | None:
    """Who signed the request's terms, as they reach KYC, over the wallet's registered
    address: the holder only if nobody changed a term on the way."""
    terms = redemption_typed_data(
        redemption_id=command.redemption_id,
        wallet=address,
        amount=command.amount.amount_minor,
        payout_currency=command.payout_currency,
        beneficiary_account_id=command.beneficiary_account_id,
        quote_id=command.quote_id,
        deadline=command.deadline,
        chain_id=kyc.settings.chain_id,
    )
    return redemption_signer(terms, command.signature)


def _answer_again(redemption_id: uuid.UUID, record: asyncpg.Record) -> Message:
    outcome = record["outcome"]
    if outcome == "reserved":
        return Eligible(
            redemption_id=redemption_id,
            reservation_id=record["reservation_id"],
            tier=record["tier"],
        )
    if outcome == "refused":
        return Ineligible(
            redemption_id=redemption_id,
            reason=record["reason"],
            detail=record["detail"] or "",
        )
    return Ineligible(
        redemption_id=redemption_id,
        reason="cancelled",
        detail="the reservation for this redemption was released or cancelled",
    )


async def release_reservation(
    ctx: HandlerContext[ReleaseReservation], command: ReleaseReservation
) -> Message:
    conn, redemption_id = ctx.connection, command.redemption_id
    locked = ctx.staged(repository.Eligibility)
    row = await locked.checks.get(redemption_id)
    locked.checks.forget(redemption_id)
    if row is None:
        # the release overtook its check: record the cancellation so a late check is refused
        if not await repository.insert_check(conn, redemption_id, outcome="cancelled"):
            raise TransientError("a check for this redemption arrived meanwhile")
        log.info("redemption cancelled before its check", redemption_id=str(redemption_id))
        return ReservationReleased(redemption_id=redemption_id, reservation_id=None)
    if row["outcome"] == "reserved":
        await repository.release_check(conn, redemption_id)
        log.info("reservation released", redemption_id=str(redemption_id))
    return ReservationReleased(redemption_id=redemption_id, reservation_id=row["reservation_id"])
