"""The saga orchestrator as its own process on real Kafka and PostgreSQL, with the other
services played by a script (tests/support/world.py) through their contracts (and, where a
receiver's inbox is what matters, by the real issuance service)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from clients.scenarios import Holder
from schemas import Codec, Message, derive_id, envelope
from schemas.fx import ConversionExecuted, ExecuteConversion, QuoteIssued, RequestQuote
from schemas.issuance import (
    Burned,
    BurnHeld,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    Minted,
    PlaceHold,
    ReleaseHold,
)
from schemas.kyc import (
    CheckEligibility,
    Eligible,
    ReleaseReservation,
    ReservationReleased,
)
from schemas.money import Money, par_cnh
from schemas.redemption import (
    QuoteRedemption,
    Redeem,
    RedemptionCompleted,
    RedemptionFailed,
    RedemptionNeedsReview,
    RedemptionQuoted,
)
from schemas.settlement import (
    PayoutOutcomeUnknown,
    PayoutSent,
    PayoutState,
    PayoutStatus,
    QueryPayout,
    ReleaseReserve,
    ReserveReleased,
    SendPayout,
)
from tests.integration.issuance.conftest import TOKEN_UNIT, Issuance, mint
from tests.support.environment import Environment
from tests.support.money import tokens
from tests.support.world import Answer, World

pytestmark = pytest.mark.integration

OUTCOMES = Codec([RedemptionCompleted, RedemptionFailed, RedemptionNeedsReview, RedemptionQuoted])
TOKENS = Money(amount_minor=250_000_000, currency="XCNH")  # 250 XCNH
USD = Money(amount_minor=3_400, currency="USD")
QUICK = {
    "CNH_REDEMPTION_STEP_TIMEOUT_S": "3",
    "CNH_REDEMPTION_MAX_ATTEMPTS": "2",
    "CNH_REDEMPTION_QUERY_INTERVAL_S": "0.5",
    "CNH_REDEMPTION_WATCHDOG_INTERVAL_S": "0.1",
}


def cooperative_world() -> dict[type[Message], Answer]:
    """Every service says yes."""
    return {
        CheckEligibility: lambda c: Eligible(
            redemption_id=c.redemption_id, reservation_id=uuid.uuid4(), tier="standard"
        ),
        PlaceHold: lambda c: HoldPlaced(
            redemption_id=c.redemption_id,
            hold_id=uuid.uuid4(),
            wallet_id=c.wallet_id,
            amount=c.amount,
        ),
        RequestQuote: lambda c: QuoteIssued(
            quote_id=uuid.uuid4(),
            redemption_id=c.redemption_id,
            sell=c.sell,
            buy=USD,
            rate="0.1360",
            fee=Money(amount_minor=50, currency="CNH"),
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
        ),
        ExecuteConversion: lambda c: ConversionExecuted(
            conversion_id=uuid.uuid4(),
            redemption_id=c.redemption_id,
            quote_id=c.quote_id,
            sold=par_cnh(TOKENS),
            bought=USD,
            rate="0.1360",
            fee=Money(amount_minor=50, currency="CNH"),
        ),
        SendPayout: lambda c: PayoutSent(
            redemption_id=c.redemption_id,
            payout_id=uuid.uuid4(),
            rail="FPS",
            bank_reference="FPS-1",
        ),
        BurnHeld: lambda c: Burned(
            redemption_id=c.redemption_id,
            burn_id=uuid.uuid4(),
            wallet_id=uuid.uuid4(),
            amount=TOKENS,
            supply_after=TOKENS,
        ),
        ReleaseReserve: lambda c: ReserveReleased(
            redemption_id=c.redemption_id, amount=c.amount, reserve_after=c.amount
        ),
        ReleaseHold: lambda c: HoldReleased(
            redemption_id=c.redemption_id, hold_id=None, wallet_id=None, amount=None
        ),
        ReleaseReservation: lambda c: ReservationReleased(
            redemption_id=c.redemption_id, reservation_id=None
        ),
    }


def redeem(
    currency: str = "CNH",
    quote_id: uuid.UUID | None = None,
    redemption_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    wallet_id: uuid.UUID | None = None,
    deadline: int | None = None,
) -> Redeem:
    """A request signed by the holder's wallet (KYC, played here, would check it)."""
    holder = Holder(
        "Chan Tai Man", customer_id=customer_id or uuid.uuid4(), wallet_id=wallet_id or uuid.uuid4()
    )
    return holder.redeem_request(
        redemption_id or uuid.uuid4(), TOKENS, currency, quote_id, deadline=deadline
    )


async def request(platform: Environment, payload: Message, rid: uuid.UUID) -> None:
    await platform.send(
        "redemption.requests", str(rid), envelope(payload, producer="gateway", correlation_id=rid)
    )


async def outcome(platform: Environment, rid: uuid.UUID, kind: type[Message]) -> Any:
    def arrived(records: list[Any]) -> bool:
        return any(
            OUTCOMES.decode(r.value).payload.TYPE == kind.TYPE
            and OUTCOMES.decode(r.value).correlation_id == rid
            for r in records
        )

    records = await platform.read("redemption.events", arrived)
    found = [OUTCOMES.decode(r.value) for r in records]
    return next(e for e in found if e.payload.TYPE == kind.TYPE and e.correlation_id == rid)


async def test_a_cnh_redemption_completes_and_its_timeline_is_kept(platform: Environment) -> None:
    await platform.start("redemption", **QUICK)
    command = redeem("CNH")
    async with World(platform, cooperative_world()) as world:
        await request(platform, command, command.redemption_id)
        done = await outcome(platform, command.redemption_id, RedemptionCompleted)

    assert done.payload.paid == par_cnh(TOKENS)
    # the beneficiary travels as the account id: KYC checks it is theirs, settlement pays it
    [eligibility] = world.commands(CheckEligibility)
    assert eligibility.beneficiary_account_id == command.beneficiary_account_id
    [payout] = world.commands(SendPayout)
    assert (payout.customer_id, payout.beneficiary_account_id) == (
        command.customer_id,
        command.beneficiary_account_id,
    )
    assert [type(c.payload).__name__ for c in world.received] == [
        "CheckEligibility",
        "PlaceHold",
        "SendPayout",
        "BurnHeld",
        "ReleaseReserve",
    ]
    rows = await platform.query("redemption", "SELECT event, step FROM saga_log ORDER BY id")
    assert [(r["event"], r["step"]) for r in rows][:2] == [
        ("command", "eligibility"),
        ("reply", "eligibility"),
    ]
    assert rows[-1]["event"] == "completed"


def usd_quote() -> QuoteRedemption:
    """A holder's request for a USD quote (fresh ids)."""
    return QuoteRedemption(
        redemption_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        wallet_id=uuid.uuid4(),
        amount=TOKENS,
        payout_currency="USD",
    )


async def test_a_usd_redemption_is_quoted_then_converted_and_paid(platform: Environment) -> None:
    await platform.start("redemption", **QUICK)
    ask = usd_quote()
    rid = ask.redemption_id
    async with World(platform, cooperative_world()) as world:
        await request(platform, ask, rid)
        quoted = await outcome(platform, rid, RedemptionQuoted)
        command = redeem("USD", quoted.payload.quote_id, rid, ask.customer_id, ask.wallet_id)
        await request(platform, command, rid)
        done = await outcome(platform, rid, RedemptionCompleted)

    assert quoted.payload.payout == USD
    assert done.payload.paid == USD
    payout = world.commands(SendPayout)[0]
    assert payout.amount == USD
    assert payout.par_value == par_cnh(TOKENS)


async def test_a_repeated_request_gets_the_same_outcome_and_no_second_saga(
    platform: Environment,
) -> None:
    await platform.start("redemption", **QUICK)
    command = redeem("CNH")
    async with World(platform, cooperative_world()) as world:
        await request(platform, command, command.redemption_id)
        first = await outcome(platform, command.redemption_id, RedemptionCompleted)
        await request(platform, command, command.redemption_id)  # a new message, same id
        records = await platform.read("redemption.events", lambda rs: len(rs) >= 2)

    assert records[1].value == records[0].value
    assert OUTCOMES.decode(records[1].value).message_id == first.message_id
    assert len(world.commands(CheckEligibility)) == 1


async def test_a_silent_step_is_resent_then_compensated(platform: Environment) -> None:
    await platform.start("redemption", **QUICK)
    answers = cooperative_world()
    answers[PlaceHold] = lambda c: None  # issuance is down
    command = redeem("CNH")
    async with World(platform, answers) as world:
        await request(platform, command, command.redemption_id)
        failed = await outcome(platform, command.redemption_id, RedemptionFailed)

    assert failed.payload.reason == "step_timeout"
    holds = world.commands(PlaceHold)
    assert len(holds) == 2, "sent, then re-sent once"
    assert [type(c.payload).__name__ for c in world.received][-2:] == [
        "ReleaseHold",
        "ReleaseReservation",
    ]


async def test_a_command_its_receiver_never_reads_is_waited_for_not_resent(
    platform: Environment,
) -> None:
    patience_s = 4.0
    await platform.start("redemption", **QUICK, CNH_REDEMPTION_PATIENCE_S=str(patience_s))
    command = redeem("CNH")
    async with World(platform, cooperative_world(), without=("issuance",)):  # issuance is down
        await request(platform, command, command.redemption_id)
        parked = await outcome(platform, command.redemption_id, RedemptionNeedsReview)

    # nobody read the hold or its release: neither is known undone, an operator must look
    assert parked.payload.reason == "compensation_stuck"
    log = await platform.query(
        "redemption",
        "SELECT at, event, step, detail FROM saga_log WHERE redemption_id = $1 ORDER BY id",
        command.redemption_id,
    )
    hold = [r for r in log if r["step"] == "hold"]
    events = [r["event"] for r in hold]
    assert events[:2] == ["command", "waiting"], events
    first_resend = next(r for r in hold if r["event"] == "resend")
    waited = (first_resend["at"] - hold[0]["at"]).total_seconds()
    assert waited >= patience_s, f"re-sent after {waited} s, while nobody had read it"


async def test_an_unknown_payout_is_reconciled_by_status_query(platform: Environment) -> None:
    await platform.start("redemption", **QUICK)
    answers = cooperative_world()
    answers[SendPayout] = lambda c: PayoutOutcomeUnknown(
        redemption_id=c.redemption_id, payout_id=uuid.uuid4(), detail="bank timeout"
    )
    queries: Iterator[PayoutState] = iter(["unknown", "settled"])
    answers[QueryPayout] = lambda c: PayoutStatus(
        redemption_id=c.redemption_id, payout_id=uuid.uuid4(), state=next(queries), detail=""
    )
    command = redeem("CNH")
    async with World(platform, answers) as world:
        await request(platform, command, command.redemption_id)
        await outcome(platform, command.redemption_id, RedemptionCompleted)

    assert len(world.commands(QueryPayout)) == 2
    assert not world.commands(ReleaseHold), "a pivot is never compensated on doubt"


async def test_an_invalid_request_is_refused_with_a_reason(platform: Environment) -> None:
    await platform.start("redemption", **QUICK)
    command = redeem("USD")  # no quote
    await request(platform, command, command.redemption_id)
    failed = await outcome(platform, command.redemption_id, RedemptionFailed)
    assert failed.payload.reason == "quote_required"


async def test_a_request_past_its_signed_deadline_is_refused_before_any_step(
    platform: Environment,
) -> None:
    await platform.start("redemption", **QUICK)
    passed = int(dt.datetime.now(dt.UTC).timestamp()) - 1
    command = redeem("CNH", deadline=passed)
    async with World(platform, cooperative_world()) as world:
        await request(platform, command, command.redemption_id)
        failed = await outcome(platform, command.redemption_id, RedemptionFailed)
    assert failed.payload.reason == "signature_expired"
    assert world.received == [], "nothing was asked of any service"


async def test_a_signature_replayed_under_another_redemption_id_is_refused(
    platform: Environment,
) -> None:
    await platform.start("redemption", **QUICK)
    original = redeem("CNH")
    # the same approval relayed again under a new id (and a new beneficiary, while at it)
    replay = original.model_copy(
        update={"redemption_id": uuid.uuid4(), "beneficiary_account_id": uuid.uuid4()}
    )
    async with World(platform, cooperative_world()) as world:
        await request(platform, original, original.redemption_id)
        await outcome(platform, original.redemption_id, RedemptionCompleted)
        await request(platform, replay, replay.redemption_id)
        failed = await outcome(platform, replay.redemption_id, RedemptionFailed)
    assert failed.payload.reason == "signature_replayed"
    checked = {c.redemption_id for c in world.commands(CheckEligibility)}
    assert checked == {original.redemption_id}, "the replay never reached a service"
    rows = await platform.query(
        "redemption",
        "SELECT redemption_id, signature FROM redemptions WHERE redemption_id = ANY($1)",
        [original.redemption_id, replay.redemption_id],
    )
    claimed = {r["redemption_id"]: r["signature"] for r in rows}
    assert claimed == {original.redemption_id: original.signature, replay.redemption_id: None}


# --- ids nobody else can take -------------------------------------------------------------


async def test_a_command_sent_first_under_the_old_derived_id_does_not_block_the_redemption(
    platform: Environment,
) -> None:
    issuance = Issuance(platform)  # the real receiver: its inbox replays a stored refusal
    await issuance.start()
    await platform.start("redemption", **QUICK)
    [(customer, wallet)] = await issuance.verified_wallets(1)
    funded = issuance.command(mint(customer, wallet, TOKENS.amount_minor // TOKEN_UNIT))
    await issuance.send(wallet, funded)
    assert isinstance((await issuance.replies([funded]))[funded.message_id], Minted)

    command = redeem("CNH", customer_id=customer, wallet_id=wallet)
    rid = command.redemption_id
    # whoever may write issuance.commands and learned the redemption id sends, under the id
    # the saga's hold used to have, a hold issuance must refuse: the refusal is stored
    squatted = derive_id(rid, "hold", "do")
    forged = envelope(
        PlaceHold(redemption_id=rid, wallet_id=wallet, amount=tokens(10**9 * TOKEN_UNIT)),
        producer="redemption",
        correlation_id=rid,
        reply_to=platform.topic("redemption.replies"),
        message_id=squatted,
    )
    await issuance.send(wallet, forged)
    refused = (await issuance.replies([forged]))[squatted]
    assert isinstance(refused, HoldRejected)
    assert refused.reason == "insufficient_balance"

    async with World(platform, cooperative_world(), without=("issuance",)) as world:
        await request(platform, command, rid)
        await outcome(platform, rid, RedemptionCompleted)

    holds = [c.message_id for c in world.received if isinstance(c.payload, PlaceHold)]
    assert holds[0] == squatted, "the forged hold, seen first"
    assert len(holds) == 2
    assert holds[1] != squatted, "the saga's own hold, under an id nobody could compute"
    assert (await issuance.balances())[wallet] == 0, "held, then burned"


async def test_a_request_under_a_quoted_id_from_someone_else_does_not_take_it(
    platform: Environment,
) -> None:
    await platform.start("redemption", **QUICK)
    ask = usd_quote()
    rid = ask.redemption_id
    async with World(platform, cooperative_world()) as world:
        await request(platform, ask, rid)
        quoted = await outcome(platform, rid, RedemptionQuoted)  # the id is public from here
        intruder = redeem("USD", quoted.payload.quote_id, rid)  # another customer and wallet
        await request(platform, intruder, rid)
        owner = redeem("USD", quoted.payload.quote_id, rid, ask.customer_id, ask.wallet_id)
        await request(platform, owner, rid)
        await outcome(platform, rid, RedemptionCompleted)

    events = await platform.read("redemption.events", lambda rs: len(rs) >= 2)
    assert [OUTCOMES.decode(r.value).payload.TYPE for r in events] == [
        "redemption.quoted",
        "redemption.completed",
    ]
    [eligibility] = world.commands(CheckEligibility)
    assert eligibility.customer_id == ask.customer_id
