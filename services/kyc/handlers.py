"""KYC's entrypoints: applications, wallet and bank account registrations
(kyc.applications), eligibility checks and reservation releases (kyc.commands), the bank's
answers to account checks (kyc.replies). Thin: rules are in `domain`, SQL in
`repository`. Log lines and events carry ids and decisions, never personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Literal, cast

import asyncpg

from schemas import Envelope, Rejected
from schemas.ids import derive_id
from schemas.kyc import (
    Application,
    BankAccountRefusal,
    BankAccountRefused,
    BankAccountVerified,
    CheckEligibility,
    CorporateApplication,
    CustomerReferred,
    CustomerRejected,
    CustomerVerified,
    Eligible,
    IndividualApplication,
    IndividualParticulars,
    Ineligible,
    RegisterBankAccount,
    RegisterWallet,
    ReleaseReservation,
    ReservationReleased,
    WalletRegistered,
)
from schemas.kyc import bank_account_context as registered_context
from schemas.message import Message
from schemas.sealed import SealError
from schemas.settlement import (
    AccountCheckResult,
    BankAccount,
    BankAccountChecked,
    CheckBankAccount,
    account_check_context,
)
from schemas.signing import redemption_typed_data
from services.kyc import pii, repository
from services.kyc.domain import accounts, eligibility
from services.kyc.domain.onboarding import birth_date_refusal, decide_application
from services.kyc.domain.wallets import (
    address_refusal,
    new_deposit_reference,
    proof_of_control,
    redemption_signer,
)
from services.kyc.sanctions import active_screener
from services.kyc.wiring import Kyc
from services.runtime.clock import accepted_at
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)

EVENTS = "kyc.events"
ACCOUNT_CHECKS = "settlement.account-checks"
REPLIES = "kyc.replies"


def build_subscriptions(kyc: Kyc) -> list[Subscription]:
    applications = Subscription("kyc.applications")
    commands = Subscription("kyc.commands")
    replies = Subscription(REPLIES)

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

    @applications.handles(RegisterBankAccount)
    async def bank_account(
        ctx: HandlerContext[RegisterBankAccount], command: RegisterBankAccount
    ) -> None:
        await register_bank_account(kyc, ctx, command)

    @replies.handles(BankAccountChecked)
    async def account_checked(
        ctx: HandlerContext[BankAccountChecked], reply: BankAccountChecked
    ) -> None:
        await bank_account_checked(ctx, reply.account_id, reply.result)

    @replies.handles(Rejected)
    async def check_rejected(ctx: HandlerContext[Rejected], reply: Rejected) -> None:
        # settlement could not read our CheckBankAccount: its correlation id is the account
        await bank_account_checked(ctx, ctx.message.correlation_id, None)

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

    return [applications, commands, replies]


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


# --- beneficiary bank accounts -------------------------------------------------------------


async def register_bank_account(
    kyc: Kyc, ctx: HandlerContext[RegisterBankAccount], command: RegisterBankAccount
) -> None:
    """First party only: the holder name must be the customer's KYC name; then the bank
    is asked (through settlement) whether it holds the account, open, under that name."""
    conn, customer_id, account_id = ctx.connection, command.customer_id, command.account_id
    cause = ctx.message.message_id

    async def refuse(reason: BankAccountRefusal, detail: str = "") -> None:
        await _account_history(
            conn, "bank_account_refused", customer_id, account_id, cause, detail or reason
        )
        _account_decided(ctx, customer_id, account_id, reason)

    try:
        account = kyc.opening_keys.open(
            command.account, BankAccount, registered_context(customer_id, account_id)
        )
    except SealError as exc:
        return await refuse("unreadable", f"unreadable_{exc.reason}")
    row = await repository.customer(conn, customer_id, lock=True)
    existing = await repository.bank_account(conn, account_id, lock=True)
    known = None if existing is None else _registered(kyc, existing, customer_id, account)
    names = _holder_names(kyc, row) if row is not None and known is None else ()
    decision = accounts.decide_registration(
        row["status"] if row else None, account.holder_name, names, known
    )
    if decision == "unchanged":
        log.info("bank account registration repeated", account_id=str(account_id))
        return None
    sealed = pii.seal_account(kyc.keyring, customer_id, account_id, account)
    if decision == "name_mismatch":
        # kept, so the account id is never decided again with other details
        await repository.insert_bank_account(
            conn, account_id, customer_id, "refused", decision, sealed, cause
        )
    if decision != "check":
        return await refuse(decision)
    if not await repository.insert_bank_account(
        conn, account_id, customer_id, "checking", None, sealed, cause
    ):
        raise TransientError("a concurrent registration of this account id")
    await _account_history(
        conn, "bank_account_checking", customer_id, account_id, cause, "holder_is_customer"
    )
    ctx.publish(
        ACCOUNT_CHECKS,
        str(account_id),
        CheckBankAccount(
            account_id=account_id,
            customer_id=customer_id,
            account=kyc.settlement_key.seal(
                account, account_check_context(customer_id, account_id)
            ),
        ),
        reply_to=REPLIES,
        message_id=derive_id(account_id, "kyc", "check_bank_account"),
        correlation_id=account_id,
    )
    log.info("bank account sent to the bank's check", account_id=str(account_id))
    return None


async def bank_account_checked(
    ctx: HandlerContext[Any],
    account_id: uuid.UUID,
    result: AccountCheckResult | None,
) -> None:
    """The bank's answer (None: settlement could not read the check)."""
    conn = ctx.connection
    row = await repository.bank_account(conn, account_id, lock=True)
    if row is None:
        log.warning(
            "a bank check answer for an account never registered", account_id=str(account_id)
        )
        return
    outcome = accounts.bank_answered(row["state"], result)
    if outcome == "duplicate":
        return
    customer_id = row["customer_id"]
    refusal = None if outcome == "verified" else outcome
    state = "refused" if refusal else "verified"
    await repository.decide_bank_account(conn, account_id, state, refusal, result)
    await _account_history(
        conn,
        f"bank_account_{state}",
        customer_id,
        account_id,
        ctx.message.message_id,
        f"bank_{result or 'unread'}",
    )
    _account_decided(ctx, customer_id, account_id, refusal)


def _registered(
    kyc: Kyc, existing: asyncpg.Record, customer_id: uuid.UUID, account: BankAccount
) -> accounts.Registered:
    owner = existing["customer_id"]
    on_file = pii.open_account(
        kyc.keyring,
        owner,
        existing["account_id"],
        existing["pii_key_id"],
        existing["pii_ciphertext"],
    )
    return accounts.Registered(owner == customer_id, on_file == account, existing["state"])


def _holder_names(kyc: Kyc, customer: asyncpg.Record) -> tuple[str, ...]:
    """The customer's KYC names, opened in memory from the sealed application."""
    application = pii.unseal(
        kyc.keyring,
        customer["customer_id"],
        customer["kind"],
        customer["pii_key_id"],
        customer["pii_ciphertext"],
    )
    return pii.account_holder_names(application)


def _account_decided(
    ctx: HandlerContext[Any],
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    refusal: BankAccountRefusal | None,
) -> None:
    event: Message = (
        BankAccountVerified(customer_id=customer_id, account_id=account_id)
        if refusal is None
        else BankAccountRefused(customer_id=customer_id, account_id=account_id, reason=refusal)
    )
    ctx.publish(EVENTS, str(customer_id), event)
    log.info(
        "bank account decided",
        customer_id=str(customer_id),
        account_id=str(account_id),
        outcome=refusal or "verified",
    )


async def _account_history(
    conn: Any,
    action: str,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    cause: uuid.UUID,
    reason: str,
) -> None:
    await repository.history(
        conn,
        action,
        actor="onboarding",
        customer_id=customer_id,
        account_id=account_id,
        reason=reason,
        cause_id=cause,
    )


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
    read = await repository.redeeming(
        conn, command.wallet_id, command.customer_id, command.beneficiary_account_id
    )
    wallet = (
        None
        if read.wallet is None
        else eligibility.WalletView(
            customer_id=read.wallet["customer_id"],
            address=read.wallet["address"],
            proof_verified=read.wallet["proof_of_control"] == "verified",
            frozen=read.wallet["frozen"],
        )
    )
    signed = eligibility.Signed(
        signer=None if wallet is None else _signer(kyc, command, wallet.address),
        deadline=command.deadline,
    )
    beneficiary = (
        None
        if read.beneficiary_customer_id is None or read.beneficiary_state is None
        else eligibility.BeneficiaryView(
            customer_id=read.beneficiary_customer_id,
            state=cast(accounts.State, read.beneficiary_state),
        )
    )
    reserved = read.reserved_minor if row else 0
    amount = command.amount.amount_minor
    refusal = eligibility.check(
        kyc.policy,
        command.customer_id,
        customer,
        wallet,
        beneficiary,
        amount,
        reserved,
        signed,
        accepted_at(command.accepted_at),
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
        beneficiary_account_id=command.beneficiary_account_id,
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
