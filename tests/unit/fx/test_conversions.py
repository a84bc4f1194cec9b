"""ExecuteConversion and ReverseConversion, in the saga's order: a redemption's quote is
executed once, booked as a trade against the open position, and reversed at most once at the
market's mid; a reversal that comes first cancels the conversion."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from schemas import derive_id
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    ExecuteConversion,
    ReversalRejected,
    ReverseConversion,
)
from services.fx.use_cases.conversions import execute_conversion, reverse_conversion
from tests.support.money import cnh, money
from tests.unit.fx.fakes import FxFakeWork
from tests.unit.fx.givens import given_book, given_quote

REDEMPTION = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)
CONVERSION = derive_id(REDEMPTION, "fx.conversion")


def execute(quote_id: uuid.UUID, accepted_at: dt.datetime | None = None) -> ExecuteConversion:
    return ExecuteConversion(redemption_id=REDEMPTION, quote_id=quote_id, accepted_at=accepted_at)


async def test_execution_books_the_quotes_amounts_and_grows_the_position() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)

    reply = await execute_conversion(work, execute(quote.quote_id))

    assert reply == ConversionExecuted(
        conversion_id=CONVERSION,
        redemption_id=REDEMPTION,
        quote_id=quote.quote_id,
        sold=cnh("1000.00"),
        bought=money("138.34", "USD"),
        rate=quote.rate,
        fee=cnh("1.00"),
    )
    assert work.payloads() == [reply]
    assert work.positions.net == {"USD": 13_834}
    assert work.journal.kinds() == ["trade"]
    assert derive_id(CONVERSION, "trade") in work.journal.entries
    assert work.quotes.stored[quote.quote_id].used


async def test_a_quote_accepted_in_time_is_honoured_late_and_the_move_is_booked() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    accepted = work.now()
    work.clock = quote.expires_at + dt.timedelta(seconds=5)
    given_book(work, "0.1400")  # meanwhile a CNH buys more USD: the issuer gains the move

    reply = await execute_conversion(work, execute(quote.quote_id, accepted_at=accepted))

    assert isinstance(reply, ConversionExecuted)
    assert work.journal.kinds() == ["trade", "market_move"]
    assert work.conversions.converted[REDEMPTION].market_mid == Decimal("0.1400")
    move = work.journal.entries[derive_id(CONVERSION, "market_move")]
    assert {(m.currency, m.amount) for m in move.movements} == {("USD", Decimal("1.09"))}


async def refused(work: FxFakeWork, command: ExecuteConversion, reason: str) -> None:
    before = dict(work.positions.net)
    reply = await execute_conversion(work, command)
    assert isinstance(reply, ConversionRejected)
    assert (reply.redemption_id, reply.quote_id, reply.reason) == (
        REDEMPTION,
        command.quote_id,
        reason,
    )
    assert work.published == []
    assert work.positions.net == before


async def test_an_unknown_quote_is_refused() -> None:
    await refused(FxFakeWork(), execute(uuid.uuid4()), "quote_unknown")


async def test_another_redemptions_quote_is_refused() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, OTHER)
    await refused(work, execute(quote.quote_id), "quote_foreign")


async def test_a_quote_executes_once() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    await execute_conversion(work, execute(quote.quote_id))
    work.next_message()
    await refused(work, execute(quote.quote_id), "quote_used")


async def test_a_redemption_converts_once_whatever_the_quote() -> None:
    work = FxFakeWork()
    first = await given_quote(work, REDEMPTION)
    second = await given_quote(work, REDEMPTION)
    await execute_conversion(work, execute(first.quote_id))
    work.next_message()
    await refused(work, execute(second.quote_id), "quote_used")
    assert work.conversions.converted[REDEMPTION].quote_id == first.quote_id


async def test_a_request_accepted_after_the_expiry_is_refused() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    work.clock = quote.expires_at
    await refused(work, execute(quote.quote_id), "quote_expired")


async def test_the_exposure_limit_is_checked_again_at_execution() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    work.positions.net["USD"] = work.terms.exposure_limit("USD") - 100
    await refused(work, execute(quote.quote_id), "exposure_limit")


async def test_a_reversal_returns_the_cnh_and_shrinks_the_position() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    await execute_conversion(work, execute(quote.quote_id))
    work.next_message()
    given_book(work, "0.1400")  # the USD the issuer sells back buys less CNH now

    reply = await reverse_conversion(work, ReverseConversion(redemption_id=REDEMPTION))

    assert isinstance(reply, ConversionReversed)
    assert (reply.conversion_id, reply.returned) == (CONVERSION, cnh("1000.00"))
    assert reply.issuer_loss.amount_minor > 0
    assert work.payloads() == [reply]
    assert work.positions.net == {"USD": 0}
    assert work.journal.kinds() == ["trade", "reversal"]
    assert work.conversions.reversed[REDEMPTION].issuer_loss == reply.issuer_loss


async def test_a_conversion_is_reversed_once() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)
    await execute_conversion(work, execute(quote.quote_id))
    await reverse_conversion(work, ReverseConversion(redemption_id=REDEMPTION))
    work.next_message()

    reply = await reverse_conversion(work, ReverseConversion(redemption_id=REDEMPTION))

    assert isinstance(reply, ReversalRejected)
    assert reply.reason == "already_reversed"
    assert work.published == []
    assert work.journal.kinds() == ["trade", "reversal"]


async def test_a_reversal_before_the_execution_cancels_it() -> None:
    work = FxFakeWork()
    quote = await given_quote(work, REDEMPTION)

    reply = await reverse_conversion(work, ReverseConversion(redemption_id=REDEMPTION))
    assert isinstance(reply, ReversalRejected)
    assert reply.reason == "unknown_conversion"
    assert work.conversions.cancelled == {REDEMPTION}

    work.next_message()
    await refused(work, execute(quote.quote_id), "cancelled")
    assert work.conversions.converted == {}
