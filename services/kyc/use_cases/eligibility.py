"""CheckEligibility (saga step 1) and ReleaseReservation, its compensation: one decision per
redemption, a reservation against the customer's limits while it lasts."""

from __future__ import annotations

import uuid

from schemas.ids import derive_id
from schemas.kyc import (
    CheckEligibility,
    Eligible,
    Ineligible,
    ReleaseReservation,
    ReservationReleased,
)
from schemas.signing import redemption_typed_data
from services.kyc.domain import eligibility
from services.kyc.domain.records import Check, Customer, NewCheck, Redeeming
from services.kyc.domain.wallets import redemption_signer
from services.kyc.use_cases.work import KycWork
from services.runtime.clock import accepted_at
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError

log = get_logger(__name__)


async def check_eligibility(work: KycWork, command: CheckEligibility) -> Eligible | Ineligible:
    redemption_id = command.redemption_id
    # The customer row lock serialises every check of this customer, across replicas:
    # the window sum below sees every reservation committed before it.
    customer = await work.checks.customer(command.customer_id)
    earlier = await work.checks.of(redemption_id)
    if earlier is not None:
        return _answer_again(redemption_id, earlier)  # one decision per redemption
    read = await work.checks.redeeming(
        command.wallet_id, command.customer_id, command.beneficiary_account_id
    )
    refusal = eligibility.check(
        work.terms.policy,
        command.customer_id,
        _customer_view(customer),
        _wallet_view(read),
        None if read.beneficiary is None else eligibility.BeneficiaryView(*read.beneficiary),
        command.amount.amount_minor,
        read.reserved_minor if customer else 0,
        eligibility.Signed(
            signer=None if read.wallet is None else _signer(work, command, read.wallet.address),
            deadline=command.deadline,
        ),
        accepted_at(command.accepted_at, work.now()),
    )
    reply: Eligible | Ineligible
    if refusal is None:
        assert customer is not None  # eligible implies a known customer
        reservation_id = derive_id(redemption_id, "kyc", "reservation")
        reply = Eligible(
            redemption_id=redemption_id, reservation_id=reservation_id, tier=customer.tier
        )
    else:
        reservation_id = None
        reply = Ineligible(
            redemption_id=redemption_id, reason=refusal.reason, detail=refusal.detail
        )
    recorded = await work.checks.record(
        NewCheck(
            redemption_id,
            outcome="reserved" if refusal is None else "refused",
            customer_id=command.customer_id,
            wallet_id=command.wallet_id,
            amount_minor=command.amount.amount_minor,
            reason=refusal.reason if refusal else None,
            detail=refusal.detail if refusal else None,
            tier=customer.tier if customer else None,
            reservation_id=reservation_id,
            signature=command.signature,
            beneficiary_account_id=command.beneficiary_account_id,
        )
    )
    if not recorded:
        raise TransientError("a release for this redemption arrived meanwhile")
    log.info(
        "eligibility checked",
        redemption_id=str(redemption_id),
        customer_id=str(command.customer_id),
        outcome="eligible" if refusal is None else refusal.reason,
    )
    return reply


async def release_reservation(work: KycWork, command: ReleaseReservation) -> ReservationReleased:
    redemption_id = command.redemption_id
    check = await work.checks.of(redemption_id)
    if check is None:
        # the release overtook its check: record the cancellation so a late check is refused
        if not await work.checks.record(NewCheck(redemption_id, outcome="cancelled")):
            raise TransientError("a check for this redemption arrived meanwhile")
        log.info("redemption cancelled before its check", redemption_id=str(redemption_id))
        return ReservationReleased(redemption_id=redemption_id, reservation_id=None)
    if check.outcome == "reserved":
        await work.checks.release(redemption_id)
        log.info("reservation released", redemption_id=str(redemption_id))
    return ReservationReleased(redemption_id=redemption_id, reservation_id=check.reservation_id)


def _customer_view(customer: Customer | None) -> eligibility.CustomerView | None:
    if customer is None:
        return None
    return eligibility.CustomerView(
        status=customer.status,
        tier=customer.tier,
        due_diligence=customer.due_diligence,
        frozen=customer.frozen,
        sanctioned=customer.sanctioned,
    )


def _wallet_view(read: Redeeming) -> eligibility.WalletView | None:
    wallet = read.wallet
    if wallet is None:
        return None
    return eligibility.WalletView(
        customer_id=wallet.customer_id,
        address=wallet.address,
        proof_verified=wallet.proof_of_control == "verified",
        frozen=wallet.frozen,
    )


def _signer(work: KycWork, command: CheckEligibility, address: str) -> str | None:
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
        chain_id=work.terms.chain_id,
    )
    return redemption_signer(terms, command.signature)


def _answer_again(redemption_id: uuid.UUID, check: Check) -> Eligible | Ineligible:
    if check.outcome == "reserved":
        assert check.reservation_id is not None
        assert check.tier is not None
        return Eligible(
            redemption_id=redemption_id, reservation_id=check.reservation_id, tier=check.tier
        )
    if check.outcome == "refused":
        assert check.reason is not None  # a refusal is recorded with its reason
        return Ineligible(
            redemption_id=redemption_id, reason=check.reason, detail=check.detail or ""
        )
    return Ineligible(
        redemption_id=redemption_id,
        reason="cancelled",
        detail="the reservation for this redemption was released or cancelled",
    )
