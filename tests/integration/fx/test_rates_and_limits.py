"""Expiry, stale rates, the rate feed and exposure limits, on real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from schemas.fx import ConversionExecuted, ConversionRejected, QuoteIssued, QuoteRejected
from tests.integration.fx.conftest import FxClient

pytestmark = pytest.mark.integration


async def test_an_expired_quote_is_refused(fx: FxClient) -> None:
    await fx.start(CNH_FX_QUOTE_TTL_S="0.5")
    redemption = uuid.uuid4()
    quote = await fx.quote(redemption, "1000.00")
    assert isinstance(quote, QuoteIssued)
    wait_s = (quote.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
    await asyncio.sleep(max(wait_s, 0) + 0.1)
    expired = await fx.execute(redemption, quote.quote_id)
    assert isinstance(expired, ConversionRejected)
    assert expired.reason == "quote_expired"


async def test_a_quote_accepted_in_time_is_honoured_after_its_expiry(fx: FxClient) -> None:
    """The saga took longer than the quote lived: the customer is paid as quoted, and the
    market's move since is the issuer's, booked beside the trade."""
    await fx.start(CNH_FX_QUOTE_TTL_S="0.5")
    redemption = uuid.uuid4()
    quote = await fx.quote(redemption, "5000.00", "HKD")
    assert isinstance(quote, QuoteIssued)
    accepted = quote.expires_at - dt.timedelta(milliseconds=100)  # in time, just
    await fx.send_rate("CNH/HKD", "1.0633")  # CNH weakens 2 % while the saga waits
    await fx.wait_rate_updates(1)
    await asyncio.sleep(max((quote.expires_at - dt.datetime.now(dt.UTC)).total_seconds(), 0))

    assert accepted < quote.expires_at <= dt.datetime.now(dt.UTC)
    executed = await fx.execute(redemption, quote.quote_id, accepted_at=accepted)
    assert isinstance(executed, ConversionExecuted)
    assert (executed.bought, executed.rate) == (quote.buy, quote.rate)  # firm: as quoted
    # 4995 CNH were quoted at the mid 1.0850 and sold at 1.0633: the provider delivers
    # 4995 * 0.0217 = 108.3915 HKD less, bought with 108.3915 / 1.0633 = 101.939... CNH of
    # the issuer's, rounded up to the fen
    moves = await fx.platform.query(
        "fx",
        """
        SELECT m.source, m.destination, m.currency, m.amount FROM movements m
          JOIN journal_entries e USING (entry_id) WHERE e.kind = 'market_move'
        """,
    )
    assert [tuple(r) for r in moves] == [
        ("issuer_pnl", "liquidity_provider", "CNH", Decimal("101.94"))
    ]
    row = (await fx.platform.query("fx", "SELECT accepted_at, market_mid FROM conversions"))[0]
    assert (row["accepted_at"], row["market_mid"]) == (accepted, Decimal("1.0633"))


async def test_a_request_accepted_after_its_quote_expired_is_refused(fx: FxClient) -> None:
    await fx.start(CNH_FX_QUOTE_TTL_S="0.5")
    redemption = uuid.uuid4()
    quote = await fx.quote(redemption, "1000.00")
    assert isinstance(quote, QuoteIssued)
    await asyncio.sleep(max((quote.expires_at - dt.datetime.now(dt.UTC)).total_seconds(), 0))
    expired = await fx.execute(redemption, quote.quote_id, accepted_at=quote.expires_at)
    assert isinstance(expired, ConversionRejected)
    assert expired.reason == "quote_expired"


async def test_a_stale_rate_is_never_quoted(fx: FxClient) -> None:
    await fx.start(CNH_FX_MAX_RATE_AGE_S="0.001")
    stale = await fx.quote(uuid.uuid4(), "1000.00", "EUR")
    assert isinstance(stale, QuoteRejected)
    assert stale.reason == "stale_rate"


async def test_the_feed_changes_the_next_quote_and_nonsense_is_refused(fx: FxClient) -> None:
    await fx.start()
    before = await fx.quote(uuid.uuid4(), "1000.00", "USD")
    assert before.rate == "0.1384833"  # the seed, 0.1389, less 30 bps

    now = dt.datetime.now(dt.UTC)
    await fx.send_rate("USD/CNH", "7.0000", now)  # inverted: 0.142857142857 USD per CNH
    await fx.wait_rate_updates(1)
    await fx.send_rate("CNH/USD", "0.1600", now + dt.timedelta(seconds=1))  # +12 %: a jump
    await fx.send_rate("CNH/USD", "0.1420", now - dt.timedelta(seconds=1))  # out of order
    await fx.wait_rate_updates(3)

    after = await fx.quote(uuid.uuid4(), "1000.00", "USD")
    assert after.rate == "0.142428571428"  # floor12(0.142857142857 * 0.997)
    history = await fx.platform.query(
        "fx", "SELECT pair, accepted, reason FROM rate_updates WHERE source <> 'seed' ORDER BY id"
    )
    outcomes = {(r["pair"], r["accepted"], r["reason"]) for r in history}
    assert outcomes == {
        ("USD/CNH", True, None),
        ("CNH/USD", False, "jump"),
        ("CNH/USD", False, "not_newer"),
    }


async def test_exposure_limits_at_quote_and_at_execution(fx: FxClient) -> None:
    await fx.start(CNH_FX_EXPOSURE_LIMITS="USD=200.00")
    first, second = uuid.uuid4(), uuid.uuid4()
    too_big = await fx.quote(uuid.uuid4(), "2000.00", "USD")  # about 277 USD
    assert isinstance(too_big, QuoteRejected)
    assert too_big.reason == "exposure_limit"
    unlisted = await fx.quote(uuid.uuid4(), "10.00", "HKD")  # no HKD limit configured: zero
    assert isinstance(unlisted, QuoteRejected)
    assert unlisted.reason == "exposure_limit"

    quote_a = await fx.quote(first, "1000.00", "USD")  # about 138 USD each: both quotable
    quote_b = await fx.quote(second, "1000.00", "USD")
    assert isinstance(await fx.execute(first, quote_a.quote_id), ConversionExecuted)
    refused = await fx.execute(second, quote_b.quote_id)
    assert isinstance(refused, ConversionRejected)
    assert refused.reason == "exposure_limit"
    positions = await fx.platform.query("fx", "SELECT net_minor FROM positions")
    assert [r["net_minor"] for r in positions] == [quote_a.buy.amount_minor]
