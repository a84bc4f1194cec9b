"""The FX service as its own process in an isolated environment, and a client playing the
saga: commands to fx.commands with reply_to redemption.replies, rates to fx.rates."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from schemas import Codec, Envelope, Message, envelope
from schemas.fx import (
    ConversionExecuted,
    ConversionRejected,
    ConversionReversed,
    ExecuteConversion,
    QuoteIssued,
    QuoteRejected,
    ReferenceRate,
    RequestQuote,
    ReversalRejected,
    ReverseConversion,
)
from schemas.rates import CurrencyPair
from tests.support.environment import Environment
from tests.support.money import cnh
from tests.support.world import Neighbours

REPLIES = Codec(
    [
        QuoteIssued,
        QuoteRejected,
        ConversionExecuted,
        ConversionRejected,
        ConversionReversed,
        ReversalRejected,
    ]
)
EVENTS = Codec([QuoteIssued, ConversionExecuted, ConversionReversed])


@dataclass
class FxClient:
    """The FX service under test; the test plays the saga and the market-data feed."""

    platform: Environment

    @property
    def neighbours(self) -> Neighbours:
        return Neighbours(self.platform)

    async def start(self, **settings: str) -> None:
        await self.platform.start("fx", **settings)

    def command(self, payload: Message, redemption_id: uuid.UUID) -> Envelope[Any]:
        return self.neighbours.command(payload, redemption_id)

    async def send(self, command: Envelope[Any]) -> None:
        await self.platform.send("fx.commands", str(command.correlation_id), command)

    async def replies_to(self, command: Envelope[Any], count: int = 1) -> list[Envelope[Any]]:
        """The replies to `command` (its redeliveries included), once `count` arrived."""

        def enough(replies: list[Envelope[Any]]) -> bool:
            return sum(r.causation_id == command.message_id for r in replies) >= count

        replies = await self.neighbours.read("redemption.replies", REPLIES, enough)
        return [r for r in replies if r.causation_id == command.message_id]

    async def ask(self, payload: Message, redemption_id: uuid.UUID) -> Any:
        command = self.command(payload, redemption_id)
        await self.send(command)
        return (await self.replies_to(command))[0].payload

    async def quote(
        self, redemption_id: uuid.UUID, sell: str, currency: str = "USD", ttl: int | None = None
    ) -> Any:
        request = RequestQuote(
            redemption_id=redemption_id, sell=cnh(sell), buy_currency=currency, ttl_seconds=ttl
        )
        return await self.ask(request, redemption_id)

    async def execute(
        self,
        redemption_id: uuid.UUID,
        quote_id: uuid.UUID,
        accepted_at: dt.datetime | None = None,
    ) -> Any:
        command = ExecuteConversion(
            redemption_id=redemption_id, quote_id=quote_id, accepted_at=accepted_at
        )
        return await self.ask(command, redemption_id)

    async def reverse(self, redemption_id: uuid.UUID) -> Any:
        return await self.ask(ReverseConversion(redemption_id=redemption_id), redemption_id)

    async def send_rate(self, pair: str, mid: str, as_of: dt.datetime | None = None) -> None:
        base, quote = pair.split("/")
        rate = ReferenceRate(
            pair=CurrencyPair(base=base, quote=quote),
            mid=mid,
            as_of=as_of or dt.datetime.now(dt.UTC),
            source="test-feed",
        )
        message = envelope(rate, producer="market-data", correlation_id=uuid.uuid4())
        await self.platform.send("fx.rates", pair, message)

    async def wait_rate_updates(self, count: int, timeout_s: float = 60.0) -> None:
        """Until `count` feed updates (accepted or refused) are recorded."""
        await self.platform.query_until(
            "fx",
            "SELECT count(*) AS n FROM rate_updates WHERE source <> 'seed'",
            lambda rows: rows[0]["n"] >= count,
            timeout_s=timeout_s,
        )

    async def events(self, count: int) -> list[Envelope[Any]]:
        return await self.neighbours.read("fx.events", EVENTS, lambda es: len(es) >= count)

    async def balances(self) -> dict[tuple[str, str], Any]:
        rows = await self.platform.query(
            "fx",
            """
            SELECT account, currency, sum(amount) AS balance FROM (
                SELECT destination AS account, currency, amount FROM movements
                UNION ALL
                SELECT source, currency, -amount FROM movements
            ) legs GROUP BY account, currency
            """,
        )
        return {(r["account"], r["currency"]): r["balance"] for r in rows}


@pytest.fixture
def fx(platform: Environment) -> FxClient:
    return FxClient(platform)
