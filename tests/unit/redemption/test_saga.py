"""The saga's decision function, step by step, for every kind of outcome."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schemas import Rejected, derive_id
from schemas.fx import (
    ConversionRejected,
    ConversionReversed,
    ExecuteConversion,
    ReversalRejected,
    ReverseConversion,
)
from schemas.issuance import (
    BurnHeld,
    BurnRejected,
    HoldRejected,
    HoldReleased,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
from schemas.kyc import (
    CheckEligibility,
    Ineligible,
    ReleaseReservation,
    ReservationReleased,
)
from schemas.money import Money
from schemas.redemption import RedemptionCompleted, RedemptionFailed, RedemptionNeedsReview
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutRejected,
    QueryPayout,
    ReleaseReserve,
    SendPayout,
)
from services.redemption.domain.decide import Decision, command_id
from services.redemption.domain.state import Status
from tests.unit.redemption.saga_dsl import (
    PAR,
    T0,
    TIMING,
    TOKENS,
    USD,
    Scenario,
    burned,
    converted,
    eligible,
    hold_placed,
    redemption,
    released,
    sent,
    status,
)


def through_conversion(s: Scenario) -> None:
    s.expect_command(CheckEligibility, topic="kyc.commands")
    s.reply(eligible(s))
    s.expect_command(PlaceHold, topic="issuance.commands")
    s.reply(hold_placed(s))
    s.expect_command(ExecuteConversion, topic="fx.commands")
    s.reply(converted(s))


def expect_compensations(s: Scenario, *undo: type) -> None:
    for message_type in undo:
        command = s.expect_command(message_type)
        if message_type is ReverseConversion:
            s.reply(
                ConversionReversed(
                    redemption_id=s.request.redemption_id,
                    conversion_id=uuid.uuid4(),
                    returned=PAR,
                    issuer_loss=Money(amount_minor=0, currency="CNH"),
                )
            )
        elif message_type is ReleaseHold:
            s.reply(
                HoldReleased(
                    redemption_id=s.request.redemption_id, hold_id=None, wallet_id=None, amount=None
                )
            )
        else:
            s.reply(ReservationReleased(redemption_id=s.request.redemption_id, reservation_id=None))
        assert command.phase == "undo"


# --- success -----------------------------------------------------------------------------


def test_a_usd_redemption_converts_pays_burns_and_releases_the_reserve() -> None:
    s = Scenario(redemption("USD"))
    through_conversion(s)
    payout = s.expect_command(SendPayout, topic="settlement.commands")
    assert isinstance(payout.payload, SendPayout)
    assert payout.payload.amount == USD
    assert payout.payload.par_value == PAR
    s.reply(sent(s))
    s.expect_command(BurnHeld)
    s.reply(burned(s))
    reserve = s.expect_command(ReleaseReserve)
    assert isinstance(reserve.payload, ReleaseReserve)
    assert reserve.payload.amount == PAR
    s.reply(released(s))
    outcome = s.expect_outcome(RedemptionCompleted, Status.COMPLETED)
    assert isinstance(outcome, RedemptionCompleted)
    assert outcome.paid == USD


def test_a_cnh_redemption_skips_the_conversion_and_pays_par() -> None:
    s = Scenario(redemption("CNH"))
    s.expect_command(CheckEligibility)
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    s.reply(hold_placed(s))
    payout = s.expect_command(SendPayout)
    assert isinstance(payout.payload, SendPayout)
    assert payout.payload.amount == PAR
    s.reply(sent(s))
    s.reply(burned(s), to=s.expect_command(BurnHeld))
    s.reply(released(s), to=s.expect_command(ReleaseReserve))
    s.expect_outcome(RedemptionCompleted, Status.COMPLETED)


def test_every_command_id_derives_from_the_redemption_id_and_the_sagas_salt() -> None:
    first, second = Scenario(redemption()), Scenario(redemption())
    assert first.sent[0].message_id != second.sent[0].message_id
    again = Scenario(first.request)
    assert again.sent[0].message_id == first.sent[0].message_id


def test_nobody_without_the_salt_can_send_a_sagas_command_first() -> None:
    request = redemption()
    mine, other = Scenario(request, salt="a1" * 16), Scenario(request, salt="b2" * 16)
    first = mine.expect_command(CheckEligibility)
    assert first.message_id != other.expect_command(CheckEligibility).message_id
    assert first.message_id != derive_id(request.redemption_id, "eligibility", "do"), (
        "not the id anyone who reads the redemption id could compute"
    )
    mine.time_passes(5)
    assert mine.expect_command(CheckEligibility).message_id == first.message_id, (
        "a re-send keeps the id"
    )
    mine.reply(eligible(mine))
    hold = mine.expect_command(PlaceHold)
    assert hold.message_id == command_id(mine.saga, "hold", "do") != first.message_id


def test_a_saga_started_before_salts_keeps_the_ids_it_sent() -> None:
    s = Scenario(redemption())
    unsalted = s.saga.model_copy(update={"salt": None})
    assert command_id(unsalted, "hold", "do") == derive_id(s.request.redemption_id, "hold", "do")


# --- typed rejections before the pivot --------------------------------------------------


def test_a_kyc_rejection_fails_without_anything_to_undo() -> None:
    s = Scenario(redemption())
    s.expect_command(CheckEligibility)
    s.reply(
        Ineligible(
            redemption_id=s.request.redemption_id,
            reason="customer_frozen",
            detail="frozen by compliance",
        )
    )
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="customer_frozen")
    s.expect_nothing_sent()


def test_the_eligibility_check_carries_the_holders_signed_terms() -> None:
    s = Scenario(redemption())
    check = s.expect_command(CheckEligibility, topic="kyc.commands").payload
    assert isinstance(check, CheckEligibility)
    request = s.request
    signed = (
        request.redemption_id, request.wallet_id, request.amount, request.payout_currency,
        request.beneficiary_account_id, request.quote_id, request.deadline, request.signature,
    )  # fmt: skip
    assert (
        check.redemption_id, check.wallet_id, check.amount, check.payout_currency,
        check.beneficiary_account_id, check.quote_id, check.deadline, check.signature,
    ) == signed  # fmt: skip


@pytest.mark.parametrize("reason", ["signature_invalid", "signature_expired"])
def test_a_request_kyc_finds_unsigned_fails_before_anything_is_held(reason: str) -> None:
    s = Scenario(redemption())
    s.expect_command(CheckEligibility)
    s.reply(Ineligible(redemption_id=s.request.redemption_id, reason=reason, detail="x"))  # type: ignore[arg-type]
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason=reason)
    s.expect_nothing_sent()
    assert not any(isinstance(sent.payload, PlaceHold) for sent in s.sent)


def test_insufficient_balance_releases_the_limit_reservation() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    s.reply(
        HoldRejected(
            redemption_id=s.request.redemption_id,
            reason="insufficient_balance",
            detail="balance 10, asked 1000",
        )
    )
    expect_compensations(s, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="insufficient_balance")


def test_the_acceptance_time_travels_with_every_step_however_long_the_saga_takes() -> None:
    accepted = T0 - dt.timedelta(seconds=1)
    s = Scenario(redemption().model_copy(update={"accepted_at": accepted}))
    check = s.expect_command(CheckEligibility).payload
    assert isinstance(check, CheckEligibility)
    assert check.accepted_at == accepted
    s.time_passes(TIMING.step_timeout_s)  # kyc slow: the check is re-sent, same terms
    resent = s.expect_command(CheckEligibility).payload
    assert isinstance(resent, CheckEligibility)
    assert resent.accepted_at == accepted
    s.reply(eligible(s))
    s.reply(hold_placed(s))
    execute = s.expect_command(ExecuteConversion).payload
    # FX judges the quote at the acceptance, not at this send (the quote is firm)
    assert isinstance(execute, ExecuteConversion)
    assert execute.accepted_at == accepted


def test_an_expired_quote_releases_the_hold_then_the_reservation() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.reply(hold_placed(s))
    s.expect_command(ExecuteConversion)
    assert s.request.quote_id is not None
    s.reply(
        ConversionRejected(
            redemption_id=s.request.redemption_id,
            quote_id=s.request.quote_id,
            reason="quote_expired",
            detail="expired 09:00:30",
        )
    )
    expect_compensations(s, ReleaseHold, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="quote_expired")


def test_a_rejected_payout_is_fully_compensated_newest_first() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.expect_command(SendPayout)
    s.reply(
        PayoutRejected(
            redemption_id=s.request.redemption_id, reason="closed_account", detail="account closed"
        )
    )
    expect_compensations(s, ReverseConversion, ReleaseHold, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="closed_account")


def test_a_runtime_rejection_of_a_command_counts_as_a_refusal() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    s.reply(Rejected(reason="invalid_payload", detail="payload.amount: invalid"))
    expect_compensations(s, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="invalid_payload")


# --- timeouts ----------------------------------------------------------------------------


def test_a_timeout_resends_the_same_command_then_succeeds() -> None:
    s = Scenario(redemption())
    first = s.expect_command(CheckEligibility)
    s.time_passes(4)
    s.expect_nothing_sent()
    s.time_passes(2)
    resent = s.expect_command(CheckEligibility)
    assert resent.message_id == first.message_id, "a re-send is the same command"
    s.reply(eligible(s))
    s.expect_command(PlaceHold)


def test_a_step_that_never_answers_is_compensated_including_itself() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    s.time_passes(5)  # attempt 2
    s.expect_command(PlaceHold)
    s.time_passes(10)  # attempt 3
    s.expect_command(PlaceHold)
    s.time_passes(20)  # no more attempts: the hold may be in flight, so release it too
    expect_compensations(s, ReleaseHold, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="step_timeout")


def test_a_command_not_yet_at_its_receiver_is_waited_for_not_resent() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    for _ in range(10):  # a broker restart: issuance has not read the command yet
        s.time_passes(TIMING.step_timeout_s, delivered=False)
        s.expect_nothing_sent()
        s.expect_still(Status.RUNNING)
    assert s.saga.waiting
    s.time_passes(TIMING.recheck_s)  # it arrived: its attempt starts now, in full
    s.expect_nothing_sent()
    s.time_passes(TIMING.step_timeout_s - 0.1)
    s.expect_nothing_sent()
    s.time_passes(0.1)  # a whole attempt without an answer: the same command again
    s.expect_command(PlaceHold)


def test_waiting_for_delivery_is_logged_once_and_its_end_too() -> None:
    s = Scenario(redemption())
    s.expect_command(CheckEligibility)
    events = []
    for delivered in (False, False, False, True):
        s.time_passes(TIMING.step_timeout_s, delivered=delivered)
        events += [entry.event for entry in s.decision.log]
    assert events == ["waiting", "delivered"]


def test_a_receiver_that_never_reads_its_command_is_given_up_on_after_the_patience() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    s.expect_command(PlaceHold)
    waited = 0.0
    while s.saga.status is Status.RUNNING and waited < 10 * TIMING.patience_s:
        s.time_passes(TIMING.recheck_s, delivered=False)
        waited += TIMING.recheck_s
    assert waited > TIMING.patience_s, "it waited for the command first"
    holds = [sent for sent in s.sent if isinstance(sent.payload, PlaceHold)]
    assert len(holds) == TIMING.max_attempts, "then its attempts ran as before"
    s.expect_command(ReleaseHold)  # and it compensates, the hold included
    assert s.saga.status is Status.COMPENSATING


def test_a_saga_from_before_delivery_checks_keeps_its_deadlines() -> None:
    s = Scenario(redemption())
    s.decision = Decision(s.saga.model_copy(update={"since": None}))
    s.time_passes(TIMING.step_timeout_s, delivered=False)
    s.expect_command(CheckEligibility)


def test_backoff_doubles_between_resends() -> None:
    s = Scenario(redemption())
    first_deadline = s.saga.deadline
    s.time_passes(5)
    assert s.saga.deadline is not None
    assert first_deadline is not None
    assert (s.saga.deadline - s.now).total_seconds() == 10


# --- duplicates and late replies --------------------------------------------------------


def test_a_duplicate_reply_is_stale_and_changes_nothing() -> None:
    s = Scenario(redemption())
    check = s.expect_command(CheckEligibility)
    reply = eligible(s)
    s.reply(reply, to=check)
    saga = s.saga
    s.reply(reply, to=check)
    s.expect_nothing_sent()
    assert s.saga == saga
    assert s.decision.log[0].event == "stale_reply"


def test_a_late_reply_after_compensation_began_is_ignored() -> None:
    s = Scenario(redemption())
    s.reply(eligible(s))
    hold = s.expect_command(PlaceHold)
    for seconds in (5, 10, 20):
        s.time_passes(seconds)
    release = s.expect_command(ReleaseHold)
    s.reply(hold_placed(s), to=hold)  # issuance finally answers the hold
    s.expect_nothing_sent()
    assert s.saga.status is Status.COMPENSATING
    s.reply(
        HoldReleased(
            redemption_id=s.request.redemption_id,
            hold_id=uuid.uuid4(),
            wallet_id=s.request.wallet_id,
            amount=TOKENS,
        ),
        to=release,
    )
    expect_compensations(s, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED)


def test_replies_after_the_end_are_stale() -> None:
    s = Scenario(redemption())
    check = s.expect_command(CheckEligibility)
    s.reply(Ineligible(redemption_id=s.request.redemption_id, reason="sanctioned", detail=""))
    s.reply(eligible(s), to=check)
    s.expect_nothing_sent()
    assert s.saga.status is Status.FAILED


# --- the pivot ----------------------------------------------------------------------------


def test_an_unknown_payout_outcome_is_queried_never_compensated() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.expect_command(SendPayout)
    s.reply(
        PayoutOutcomeUnknown(
            redemption_id=s.request.redemption_id, payout_id=uuid.uuid4(), detail="bank timeout"
        )
    )
    first = s.expect_command(QueryPayout)
    s.expect_still(Status.RECONCILING)
    s.reply(status(s, "unknown"))
    s.expect_nothing_sent()
    s.time_passes(2)
    second = s.expect_command(QueryPayout)
    assert second.message_id != first.message_id, "each query asks afresh"
    s.reply(status(s, "settled"))
    s.expect_command(BurnHeld)
    s.reply(burned(s))
    s.reply(released(s), to=s.expect_command(ReleaseReserve))
    s.expect_outcome(RedemptionCompleted, Status.COMPLETED)


def test_a_payout_that_stays_unknown_is_parked_for_review() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.reply(
        PayoutOutcomeUnknown(
            redemption_id=s.request.redemption_id, payout_id=uuid.uuid4(), detail="bank timeout"
        )
    )
    for _ in range(4):
        s.reply(status(s, "unknown"))
        s.time_passes(2)
    s.expect_outcome(RedemptionNeedsReview, Status.NEEDS_REVIEW, reason="payout_outcome_unknown")
    assert not any(send.phase == "undo" for send in s.sent)


def test_a_payout_without_any_answer_is_resent_then_queried() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    payout = s.expect_command(SendPayout)
    for seconds in (5, 10):
        s.time_passes(seconds)
        assert s.expect_command(SendPayout).message_id == payout.message_id
    s.time_passes(20)
    s.expect_command(QueryPayout)
    s.reply(status(s, "rejected"))
    expect_compensations(s, ReverseConversion, ReleaseHold, ReleaseReservation)
    s.expect_outcome(RedemptionFailed, Status.FAILED, reason="payout_rejected")


def test_a_payout_returned_before_completion_needs_review() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.reply(
        PayoutOutcomeUnknown(
            redemption_id=s.request.redemption_id, payout_id=uuid.uuid4(), detail="bank timeout"
        )
    )
    s.reply(status(s, "returned"))
    s.expect_outcome(RedemptionNeedsReview, Status.NEEDS_REVIEW, reason="payout_returned")


# --- after the pivot, and stuck compensations --------------------------------------------


def test_a_refused_burn_after_payout_needs_review() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.reply(sent(s))
    s.expect_command(BurnHeld)
    s.reply(BurnRejected(redemption_id=s.request.redemption_id, reason="hold_released", detail=""))
    s.expect_outcome(RedemptionNeedsReview, Status.NEEDS_REVIEW, reason="hold_released")


def test_a_burn_is_retried_longer_than_a_forward_step_then_parked() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.reply(sent(s))
    for _ in range(4):
        s.time_passes(20)
        s.expect_command(BurnHeld)
    s.time_passes(20)
    s.expect_outcome(RedemptionNeedsReview, Status.NEEDS_REVIEW, reason="step_stuck")


def test_a_refused_compensation_needs_review() -> None:
    s = Scenario(redemption())
    through_conversion(s)
    s.reply(
        PayoutRejected(redemption_id=s.request.redemption_id, reason="invalid_account", detail="")
    )
    s.reply(
        ReversalRejected(
            redemption_id=s.request.redemption_id,
            reason="unknown_conversion",
            detail="nothing executed",
        )
    )  # counts as undone: nothing ran
    s.expect_command(ReleaseHold)
    s.reply(
        ReleaseRejected(redemption_id=s.request.redemption_id, reason="already_burned", detail="")
    )
    s.expect_outcome(RedemptionNeedsReview, Status.NEEDS_REVIEW, reason="compensation_refused")
