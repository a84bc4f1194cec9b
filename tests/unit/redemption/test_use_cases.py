"""The saga's verbs as sequence diagrams, without servers: given what the fakes hold
(often reached through another verb: a quote answered by FX), when a request, a reply or a
deadline comes, expect what was published, the saga stored and its timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from schemas import Codec, Message, Rejected, derive_id
from schemas.fx import QuoteIssued, QuoteRejected, RequestQuote
from schemas.issuance import Burned, BurnHeld, HoldPlaced, PlaceHold
from schemas.kyc import CheckEligibility, Eligible
from schemas.redemption import (
    QuoteRedemption,
    Redeem,
    RedemptionCompleted,
    RedemptionFailed,
    RedemptionQuoted,
)
from schemas.settlement import PayoutSent, ReleaseReserve, ReserveReleased, SendPayout
from services.redemption.domain.state import Saga, Status
from services.redemption.use_cases.carry_out import EVENTS, REPLIES, outcome_id
from services.redemption.use_cases.deadlines import deadlines_passed
from services.redemption.use_cases.quotes import quote_answered, quote_redemption
from services.redemption.use_cases.requests import redeem
from services.redemption.use_cases.steps import step_replied
from services.runtime.retry import TransientError
from tests.support.money import cnh, money, tokens
from tests.support.work import T0, Published
from tests.unit.redemption.fakes import RedemptionFakeWork, Sagas
from tests.unit.redemption.saga_dsl import TIMING

CUSTOMER, WALLET, ACCOUNT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AMOUNT = tokens("1000")
SIGNATURE = "0x" + "5a" * 65
EVENTS_CODEC = Codec((RedemptionCompleted, RedemptionFailed, RedemptionQuoted))


def redeem_command(rid: uuid.UUID, **terms: Any) -> Redeem:
    given: dict[str, Any] = dict(
        redemption_id=rid, customer_id=CUSTOMER, wallet_id=WALLET, amount=AMOUNT,
        payout_currency="CNH", quote_id=None, beneficiary_account_id=ACCOUNT,
        deadline=int(T0.timestamp()) + 300, signature=SIGNATURE,
    )  # fmt: skip
    return Redeem.model_validate(given | terms)


def usd(rid: uuid.UUID, quote_id: uuid.UUID, **terms: Any) -> Redeem:
    return redeem_command(rid, payout_currency="USD", quote_id=quote_id, **terms)


def saga_of(work: RedemptionFakeWork, rid: uuid.UUID) -> Saga:
    return work.sagas.rows[rid]


def only_published(work: RedemptionFakeWork) -> Published:
    assert len(work.published) == 1, work.published
    return work.published[0]


def outcome_stored(work: RedemptionFakeWork, rid: uuid.UUID) -> Message:
    outcome: Message = EVENTS_CODEC.decode(work.sagas.outcomes[rid]).payload
    return outcome


async def started(work: RedemptionFakeWork, rid: uuid.UUID, **terms: Any) -> Saga:
    await redeem(work, redeem_command(rid, **terms))
    saga = saga_of(work, rid)
    work.next_message()
    return saga


async def answer(work: RedemptionFakeWork, rid: uuid.UUID, reply: Message) -> Saga:
    """The service commanded answers the saga's pending command."""
    work.reply(saga_of(work, rid).pending, rid)
    await step_replied(work, reply)
    return saga_of(work, rid)


async def quoted(work: RedemptionFakeWork, rid: uuid.UUID) -> uuid.UUID:
    """A USD payout quoted by FX; the id of FX's firm quote."""
    await quote_redemption(work, QuoteRedemption(
        redemption_id=rid, customer_id=CUSTOMER, wallet_id=WALLET, amount=AMOUNT,
        payout_currency="USD",
    ))  # fmt: skip
    quote_id = uuid.uuid4()
    work.reply(derive_id(rid, "quote"), rid)
    await quote_answered(work, issued(rid, quote_id))
    work.next_message()
    return quote_id


def issued(rid: uuid.UUID, quote_id: uuid.UUID) -> QuoteIssued:
    return QuoteIssued(
        quote_id=quote_id, redemption_id=rid, sell=cnh("1000"), buy=money("138.90", "USD"),
        rate="0.1389", fee=cnh(0), expires_at=T0 + dt.timedelta(minutes=1),
    )  # fmt: skip


# --- Redeem ---------------------------------------------------------------------------------


async def test_a_redeem_request_starts_the_saga_with_the_eligibility_check() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()

    await redeem(work, redeem_command(rid))

    check = only_published(work)
    assert (check.topic, check.key, check.reply_to) == ("kyc.commands", str(CUSTOMER), REPLIES)
    assert isinstance(check.payload, CheckEligibility)
    assert check.payload.accepted_at == T0
    saga = saga_of(work, rid)
    assert (saga.status, saga.step, saga.phase, saga.attempt) == (Status.RUNNING, 0, "do", 1)
    assert saga.salt is not None
    assert work.sagas.signatures == {SIGNATURE: rid}
    assert work.step_log.events(rid) == ["command"]


async def test_a_request_is_judged_when_it_arrived_not_when_it_is_read() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    work.appended_at = T0 - dt.timedelta(minutes=10)  # a consumer catching up after a fault
    work.clock = T0 + dt.timedelta(minutes=1)
    deadline = int(T0.timestamp())  # passed when read, not when it arrived

    await redeem(work, redeem_command(rid, deadline=deadline))

    assert saga_of(work, rid).status is Status.RUNNING
    assert saga_of(work, rid).request.accepted_at == work.appended_at


@pytest.mark.parametrize(
    ("terms", "reason"),
    [
        ({"deadline": int(T0.timestamp()) - 1}, "signature_expired"),
        ({"amount": tokens(0)}, "invalid_amount"),
        ({"amount": tokens(1)}, "invalid_amount"),  # dust below a fen
        ({"payout_currency": "USD"}, "quote_required"),
        ({"payout_currency": "USD", "quote_id": uuid.uuid4()}, "quote_unknown"),
    ],
)
async def test_an_invalid_request_is_refused_at_once_and_its_refusal_kept(
    terms: dict[str, Any], reason: str
) -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()

    await redeem(work, redeem_command(rid, **terms))

    refusal = only_published(work)
    assert (refusal.topic, refusal.key) == (EVENTS, str(rid))
    assert isinstance(refusal.payload, RedemptionFailed)
    assert refusal.payload.reason == reason
    assert saga_of(work, rid).status is Status.FAILED
    assert outcome_stored(work, rid) == refusal.payload
    assert work.step_log.events(rid) == ["refused"]


async def test_a_quoted_redemption_converts_at_its_quote() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    quote_id = await quoted(work, rid)

    await redeem(work, usd(rid, quote_id))

    assert isinstance(only_published(work).payload, CheckEligibility)
    assert saga_of(work, rid).request.quote_id == quote_id


async def test_a_request_that_differs_from_its_quote_is_refused() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    quote_id = await quoted(work, rid)

    await redeem(work, usd(rid, quote_id, amount=tokens("999")))

    assert outcome_stored(work, rid) == RedemptionFailed(
        redemption_id=rid,
        reason="quote_mismatch",
        detail="the request differs from what was quoted",
    )


async def test_a_request_arriving_after_its_quote_expired_is_refused() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    quote_id = await quoted(work, rid)
    work.appended_at = work.clock = T0 + dt.timedelta(minutes=1)  # the quote's expiry

    await redeem(work, usd(rid, quote_id))

    refusal = only_published(work).payload
    assert isinstance(refusal, RedemptionFailed)
    assert refusal.reason == "quote_expired"


async def test_a_request_under_an_id_quoted_to_another_holder_is_ignored() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    quote_id = await quoted(work, rid)

    await redeem(work, usd(rid, quote_id, customer_id=uuid.uuid4()))

    assert work.published == []
    assert rid not in work.sagas.rows


async def test_a_signature_replayed_under_another_id_is_refused_and_stays_the_first() -> None:
    work, first, copy = RedemptionFakeWork(), uuid.uuid4(), uuid.uuid4()
    await started(work, first)

    await redeem(work, redeem_command(copy))

    refusal = only_published(work).payload
    assert isinstance(refusal, RedemptionFailed)
    assert refusal.reason == "signature_replayed"
    assert saga_of(work, copy).status is Status.FAILED
    assert work.sagas.signatures == {SIGNATURE: first}


async def test_a_repeated_request_of_a_running_redemption_starts_nothing() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    saga = await started(work, rid)

    await redeem(work, redeem_command(rid))

    assert work.published == []
    assert work.outlet.republished == []
    assert saga_of(work, rid) == saga


async def test_a_repeated_request_of_a_finished_redemption_gets_the_same_outcome() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await redeem(work, redeem_command(rid, amount=tokens(0)))
    work.next_message()

    await redeem(work, redeem_command(rid, amount=tokens(0)))

    assert work.published == []
    assert work.outlet.republished == [(EVENTS, work.sagas.outcomes[rid])]


class RivalSagas(Sagas):
    """Another request with the same signature commits between the read and the insert."""

    async def signed_for(self, signature: str) -> uuid.UUID | None:
        self.signatures[signature] = uuid.uuid4()
        return None


async def test_a_signature_claimed_meanwhile_by_a_concurrent_request_is_retried() -> None:
    work, rid = RedemptionFakeWork(sagas=RivalSagas()), uuid.uuid4()

    with pytest.raises(TransientError):
        await redeem(work, redeem_command(rid))

    assert rid not in work.sagas.rows


# --- QuoteRedemption and FX's answer ---------------------------------------------------------


def quote_question(rid: uuid.UUID, amount: object = AMOUNT) -> QuoteRedemption:
    return QuoteRedemption.model_validate(dict(
        redemption_id=rid, customer_id=CUSTOMER, wallet_id=WALLET, amount=amount,
        payout_currency="USD",
    ))  # fmt: skip


async def test_a_quote_question_asks_fx_for_a_firm_quote() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()

    await quote_redemption(work, quote_question(rid))

    assert work.published == [
        Published(
            "fx.commands", str(rid),
            RequestQuote(redemption_id=rid, sell=cnh("1000"), buy_currency="USD"), REPLIES,
        )
    ]  # fmt: skip
    assert work.quotes.asked[rid].status == "requested"


async def test_a_quote_question_for_dust_is_refused_and_nothing_asked() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()

    await quote_redemption(work, quote_question(rid, tokens(1)))

    refusal = only_published(work)
    assert refusal.topic == EVENTS
    assert isinstance(refusal.payload, RedemptionFailed)
    assert refusal.payload.reason == "invalid_amount"
    assert work.quotes.asked == {}


async def test_fx_s_quote_is_disclosed_to_the_holder_and_kept() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quote_redemption(work, quote_question(rid))
    work.reply(derive_id(rid, "quote"), rid)
    quote_id = uuid.uuid4()

    await quote_answered(work, issued(rid, quote_id))

    disclosed = only_published(work)
    assert (disclosed.topic, disclosed.key) == (EVENTS, str(rid))
    assert disclosed.payload == RedemptionQuoted(
        redemption_id=rid, quote_id=quote_id, amount=AMOUNT, payout=money("138.90", "USD"),
        rate="0.1389", fee=cnh(0), expires_at=T0 + dt.timedelta(minutes=1),
    )  # fmt: skip
    kept = work.quotes.asked[rid]
    assert (kept.status, kept.quote_id, kept.expires_at) == (
        "quoted", quote_id, T0 + dt.timedelta(minutes=1)
    )  # fmt: skip


async def test_the_same_quote_question_gets_the_same_answer() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quoted(work, rid)

    await quote_redemption(work, quote_question(rid))

    assert work.published == []
    assert work.outlet.republished == [(EVENTS, work.quotes.asked[rid].outcome)]


async def test_a_quote_question_still_open_asks_nothing_again() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quote_redemption(work, quote_question(rid))
    work.next_message()

    await quote_redemption(work, quote_question(rid))

    assert work.published == []
    assert work.outlet.republished == []


async def test_fx_s_refusal_of_a_quote_fails_the_redemption_with_its_reason() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quote_redemption(work, quote_question(rid))
    work.reply(derive_id(rid, "quote"), rid)

    await quote_answered(
        work, QuoteRejected(redemption_id=rid, reason="stale_rate", detail="no fresh rate")
    )

    assert only_published(work).payload == RedemptionFailed(
        redemption_id=rid, reason="quote_stale_rate", detail="no fresh rate"
    )
    assert work.quotes.asked[rid].status == "rejected"


async def test_fx_s_runtime_refusing_the_quote_request_fails_the_quote() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quote_redemption(work, quote_question(rid))
    work.reply(derive_id(rid, "quote"), rid)

    await step_replied(work, Rejected(reason="invalid_payload", detail="sell"))

    assert only_published(work).payload == RedemptionFailed(
        redemption_id=rid, reason="quote_invalid_payload", detail="sell"
    )


async def test_a_quote_answer_for_no_open_question_is_ignored() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await quoted(work, rid)
    work.reply(derive_id(rid, "quote"), rid)

    await quote_answered(work, issued(rid, uuid.uuid4()))

    assert work.published == []


# --- a step's reply -------------------------------------------------------------------------


def eligible(rid: uuid.UUID) -> Eligible:
    return Eligible(redemption_id=rid, reservation_id=uuid.uuid4(), tier="standard")


async def test_a_reply_to_the_pending_command_moves_the_saga_to_its_next_step() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await started(work, rid)

    saga = await answer(work, rid, eligible(rid))

    hold = only_published(work)
    assert (hold.topic, hold.key, hold.reply_to) == ("issuance.commands", str(WALLET), REPLIES)
    assert isinstance(hold.payload, PlaceHold)
    assert (saga.step, saga.phase) == (1, "do")
    assert work.step_log.events(rid) == ["command", "reply", "command"]


async def test_a_reply_to_another_command_is_stale_and_changes_nothing() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    before = await started(work, rid)
    work.reply(uuid.uuid4(), rid)

    await step_replied(work, eligible(rid))

    assert work.published == []
    assert saga_of(work, rid) == before
    assert work.step_log.events(rid)[-1] == "stale_reply"


async def test_a_reply_for_an_unknown_redemption_is_ignored() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    work.reply(uuid.uuid4(), rid)

    await step_replied(work, eligible(rid))

    assert work.published == []
    assert work.sagas.rows == {}


async def test_the_last_reply_completes_the_redemption_and_a_repeat_gets_its_outcome() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    await started(work, rid)
    await answer(work, rid, eligible(rid))
    await answer(work, rid, HoldPlaced(
        redemption_id=rid, hold_id=uuid.uuid4(), wallet_id=WALLET, amount=AMOUNT
    ))  # fmt: skip
    assert isinstance(only_published(work).payload, SendPayout)
    await answer(work, rid, PayoutSent(
        redemption_id=rid, payout_id=uuid.uuid4(), rail="FPS", bank_reference="BANK-1"
    ))  # fmt: skip
    assert isinstance(only_published(work).payload, BurnHeld)
    await answer(work, rid, Burned(
        redemption_id=rid, burn_id=uuid.uuid4(), wallet_id=WALLET, amount=AMOUNT,
        supply_after=tokens(0),
    ))  # fmt: skip
    assert isinstance(only_published(work).payload, ReleaseReserve)

    saga = await answer(
        work, rid, ReserveReleased(redemption_id=rid, amount=cnh("1000"), reserve_after=cnh(0))
    )

    completed = only_published(work)
    assert (completed.topic, completed.key) == (EVENTS, str(rid))
    assert isinstance(completed.payload, RedemptionCompleted)
    assert completed.payload.paid == cnh("1000")
    assert saga.status is Status.COMPLETED
    assert EVENTS_CODEC.decode(work.sagas.outcomes[rid]).message_id == outcome_id(rid)
    work.next_message()
    await redeem(work, redeem_command(rid))
    assert work.outlet.republished == [(EVENTS, work.sagas.outcomes[rid])]


# --- a step's deadline ----------------------------------------------------------------------


def later(work: RedemptionFakeWork, seconds: float) -> None:
    work.next_message()
    work.clock += dt.timedelta(seconds=seconds)


async def test_a_silent_step_past_its_deadline_is_sent_again_under_the_same_id() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    before = await started(work, rid)
    later(work, TIMING.step_timeout_s)

    assert await deadlines_passed(work, limit=10) == 1

    again = only_published(work)
    assert isinstance(again.payload, CheckEligibility)
    saga = saga_of(work, rid)
    assert (saga.pending, saga.attempt) == (before.pending, 2)
    assert work.step_log.events(rid)[-2:] == ["timeout", "resend"]


async def test_a_saga_before_its_deadline_is_left_alone() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    before = await started(work, rid)
    later(work, TIMING.step_timeout_s - 1)

    assert await deadlines_passed(work, limit=10) == 0

    assert work.published == []
    assert saga_of(work, rid) == before


async def test_a_command_still_in_the_outbox_is_waited_for_not_sent_again() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    before = await started(work, rid)
    assert before.pending is not None
    work.publications.at[before.pending] = None
    later(work, TIMING.step_timeout_s)

    await deadlines_passed(work, limit=10)

    assert work.published == []
    assert saga_of(work, rid).waiting
    assert work.step_log.events(rid)[-1] == "waiting"


async def test_a_command_its_receiver_has_not_reached_is_waited_for() -> None:
    work, rid = RedemptionFakeWork(), uuid.uuid4()
    before = await started(work, rid)
    assert before.pending is not None
    work.publications.at[before.pending] = T0
    work.receivers.caught_up = False
    later(work, TIMING.step_timeout_s)

    await deadlines_passed(work, limit=10)

    assert work.published == []
    assert saga_of(work, rid).waiting


async def test_a_sweep_takes_at_most_its_limit_oldest_deadline_first() -> None:
    work = RedemptionFakeWork()
    first = await started(work, uuid.uuid4())
    later(work, 1)
    await started(work, uuid.uuid4(), signature="0x" + "6b" * 65)
    later(work, TIMING.step_timeout_s)

    assert await deadlines_passed(work, limit=1) == 1

    assert saga_of(work, first.request.redemption_id).attempt == 2
