"""Quote, execute, reverse against real Kafka and PostgreSQL, the service as its own process."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    ExecuteConversion,
    QuoteIssued,
    QuoteRejected,
    ReversalRejected,
)
from tests.integration.fx.conftest import FxClient

pytestmark = pytest.mark.integration


async def test_quote_execute_redelivery_reuse_and_foreign_quote(fx: FxClient) -> None:
    await fx.start(CNH_FX_MAX_QUOTE_TTL_S="90")
    redemption, other = uuid.uuid4(), uuid.uuid4()

    quote = await fx.quote(redemption, "10000.00", "USD", ttl=3600)
    assert isinstance(quote, QuoteIssued)
    # seed CNH/USD 0.1389 less 30 bps = 0.1384833; fee 10 bps of 10 000 CNH = 10 CNH
    assert (quote.rate, quote.fee.amount_minor) == ("0.1384833", 1000)
    assert quote.buy.currency == "USD"
    assert quote.buy.amount_minor == 138344  # floor(9990 * 0.1384833 = 1383.448167) cents
    lifetime = quote.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=60) < lifetime <= dt.timedelta(seconds=90)  # 3600 s capped

    foreign = await fx.execute(other, quote.quote_id)
    assert isinstance(foreign, ConversionRejected)
    assert foreign.reason == "quote_foreign"
    unknown = await fx.execute(redemption, uuid.uuid4())
    assert isinstance(unknown, ConversionRejected)
    assert unknown.reason == "quote_unknown"
    cny = await fx.quote(redemption, "100.00", "CNH")
    assert isinstance(cny, QuoteRejected)
    assert cny.reason == "unsupported_currency"

    command = fx.command(
        ExecuteConversion(redemption_id=redemption, quote_id=quote.quote_id), redemption
    )
    await fx.send(command)
    await fx.send(command)  # a redelivery of the very same command
    first, second = await fx.replies_to(command, count=2)
    assert first.message_id == second.message_id
    assert first.payload == second.payload
    executed = first.payload
    assert isinstance(executed, ConversionExecuted)
    assert (executed.sold, executed.bought, executed.fee) == (quote.sell, quote.buy, quote.fee)

    reused = await fx.execute(redemption, quote.quote_id)  # a new command, the same quote
    assert isinstance(reused, ConversionRejected)
    assert reused.reason == "quote_used"

    conversions = await fx.platform.query("fx", "SELECT count(*) AS n FROM conversions")
    assert conversions[0]["n"] == 1
    balances = await fx.balances()
    assert balances[("customer_clearing", "USD")] == Decimal("1383.44")
    assert balances[("fx_rounding", "USD")] == Decimal("0.008167")
    assert balances[("fx_fees", "CNH")] == Decimal("10.00")
    assert sum(v for (_, c), v in balances.items() if c == "USD") == 0
    types = [e.type for e in await fx.events(2)]
    assert types == ["fx.quote_issued", "fx.conversion_executed"]


async def test_reverse_books_market_loss_to_the_issuer_and_refuses_the_rest(fx: FxClient) -> None:
    await fx.start()
    redemption, never_executed = uuid.uuid4(), uuid.uuid4()
    # CNH strengthens by 2 %: buying the CNH back costs more HKD than the trade delivered
    reversed_ = await _reversed_after_the_mid_moved(fx, redemption, "1.1067")
    # 4995 CNH went at the mid 1.0850; buying back costs 4995 * (1.1067 - 1.0850) HKD,
    # i.e. 108.3915 / 1.1067 = 97.9412... CNH, rounded up to the fen
    assert reversed_.issuer_loss.amount_minor == 9795

    balances = await fx.balances()
    nonzero = {k: v for k, v in balances.items() if v != 0}
    assert nonzero == {
        ("issuer_pnl", "CNH"): Decimal("-97.95"),
        ("liquidity_provider", "CNH"): Decimal("97.95"),
    }

    again = await fx.reverse(redemption)
    assert isinstance(again, ReversalRejected)
    assert again.reason == "already_reversed"
    late_quote = await fx.quote(never_executed, "100.00", "EUR")
    cancel = await fx.reverse(never_executed)
    assert isinstance(cancel, ReversalRejected)
    assert cancel.reason == "unknown_conversion"
    late = await fx.execute(never_executed, late_quote.quote_id)
    assert isinstance(late, ConversionRejected)
    assert late.reason == "cancelled"
    positions = await fx.platform.query("fx", "SELECT currency, net_minor FROM positions")
    assert {r["currency"]: r["net_minor"] for r in positions} == {"HKD": 0}


async def test_reverse_keeps_a_market_gain_in_the_currency_held(fx: FxClient) -> None:
    await fx.start()
    # CNH weakens by 2 %: buying the CNH back costs less HKD than the trade delivered
    reversed_ = await _reversed_after_the_mid_moved(fx, uuid.uuid4(), "1.0633")
    assert reversed_.issuer_loss.amount_minor == 0

    # 4995 CNH went at the mid 1.0850; buying them back costs 0.0217 HKD less each: the
    # issuer keeps 108.3915 HKD, rounded down to the cent
    balances = await fx.balances()
    assert {k: v for k, v in balances.items() if v != 0} == {
        ("issuer_pnl", "HKD"): Decimal("108.39"),
        ("liquidity_provider", "HKD"): Decimal("-108.39"),
    }
    rows = await fx.platform.query(
        "fx", "SELECT issuer_loss_minor, issuer_gain_minor, issuer_gain_currency FROM reversals"
    )
    assert [tuple(r) for r in rows] == [(0, 10839, "HKD")]


async def _reversed_after_the_mid_moved(
    fx: FxClient, redemption: uuid.UUID, mid: str
) -> ConversionReversed:
    """5,000 CNH sold for HKD at the mid 1.0850, the mid moved to `mid`, then reversed."""
    quote = await fx.quote(redemption, "5000.00", "HKD")
    assert isinstance(await fx.execute(redemption, quote.quote_id), ConversionExecuted)
    await fx.send_rate("CNH/HKD", mid)
    await fx.wait_rate_updates(1)
    reversed_ = await fx.reverse(redemption)
    assert isinstance(reversed_, ConversionReversed)
    assert reversed_.returned == quote.sell  # the customer's side restored exactly
    return reversed_
