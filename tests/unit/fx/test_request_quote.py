"""RequestQuote: a firm quote priced at the book's mid and bounded by the open position, or
a typed refusal with nothing stored and nothing published."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schemas import derive_id
from schemas.fx import QuoteIssued, QuoteRejected, RequestQuote
from services.fx.domain.review import RateHold
from services.fx.use_cases.quotes import request_quote
from tests.support.money import cnh, money
from tests.unit.fx.fakes import FxFakeWork
from tests.unit.fx.givens import given_book

REDEMPTION = uuid.UUID(int=1)


def quote_for(sell: str, currency: str = "USD", ttl: int | None = None) -> RequestQuote:
    return RequestQuote(
        redemption_id=REDEMPTION, sell=cnh(sell), buy_currency=currency, ttl_seconds=ttl
    )


async def test_a_quote_is_priced_at_the_mid_stored_and_announced() -> None:
    work = FxFakeWork()
    given_book(work, "0.1389")

    reply = await request_quote(work, quote_for("1000.00"))

    assert reply == QuoteIssued(
        quote_id=derive_id(work.message_id, "quote"),
        redemption_id=REDEMPTION,
        sell=cnh("1000.00"),
        buy=money("138.34", "USD"),
        rate="0.1384833",  # the mid less the 30 bps spread
        fee=cnh("1.00"),
        expires_at=work.now() + dt.timedelta(seconds=30),
    )
    assert list(work.quotes.stored) == [reply.quote_id]
    assert [(p.topic, p.key, p.payload) for p in work.published] == [
        ("fx.events", str(REDEMPTION), reply)
    ]


async def test_the_requested_lifetime_is_honoured_up_to_the_maximum() -> None:
    work = FxFakeWork()
    given_book(work)

    reply = await request_quote(work, quote_for("1000.00", ttl=3_600))

    assert isinstance(reply, QuoteIssued)
    assert reply.expires_at == work.now() + dt.timedelta(seconds=120)


@pytest.mark.parametrize(
    ("setup", "command", "reason"),
    [
        ("no book", quote_for("1000.00"), "unsupported_currency"),
        ("book", quote_for("1000.00", currency="CNH"), "unsupported_currency"),
        ("held", quote_for("1000.00"), "rate_under_review"),
        ("stale", quote_for("1000.00"), "stale_rate"),
        ("book", quote_for("0.01"), "too_small"),
        ("full", quote_for("1000.00"), "exposure_limit"),
    ],
)
async def test_refusals_store_nothing_and_publish_nothing(
    setup: str, command: RequestQuote, reason: str
) -> None:
    work = FxFakeWork()
    if setup != "no book":
        given_book(work, age_s=61 if setup == "stale" else 0)
    if setup == "held":
        work.holds.open["USD"] = RateHold(1, "USD", 8)
    if setup == "full":
        work.positions.net["USD"] = work.terms.exposure_limit("USD") - 100

    reply = await request_quote(work, command)

    assert isinstance(reply, QuoteRejected)
    assert (reply.redemption_id, reply.reason) == (REDEMPTION, reason)
    assert work.quotes.stored == {}
    assert work.published == []
