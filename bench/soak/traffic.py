"""The soak's load: open-loop redemptions in the bench's mix (cross-currency quoted first,
CNH at par; each request signed by the holder's wallet as it is sent) and deposit
notifications, each on its own schedule whatever the platform is doing, with duplicates
(a fraction sent twice: soon after, or much later) and a few redemptions sent after their
quote expired on purpose ("late", which must be refused).

Every redemption is its own task, so a send that waits for a broker coming back holds up
nothing else. Each send waits for the broker's acknowledgement (the Outside is made with
`confirm=True`): one the producer gave up on is sent again, as a gateway that must know
its request arrived retries, until the broker has it."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bench.load import CROSS_CURRENCIES, DEPOSIT_CNH, QUOTE_LEAD_S, REDEEM_TOKENS
from bench.soak.config import SoakConfig
from bench.soak.tracker import SoakTracker
from clients.outside import Outside
from clients.scenarios import Holder
from services.settlement.domain.deposits import deposit_id as deposit_id_of

ORDINARY_MARGIN_S = 10.0
"""A request sent with at least this much of its quote's validity left is ordinary: well
inside it (one sent with less, because its quote came late, is counted as "tight")."""
LATE_BY_S = 2.0
"""A late request goes this long after its quote expired."""
LATE_NEEDS_S = 45.0
"""Late requests are begun only while this much of the load is left (a quote lives 30 s)."""
SOON_S, MUCH_LATER_S = (0.05, 2.0), (20.0, 60.0)
"""When a duplicate follows its original: half soon, half much later."""
QUOTE_WAIT_S = 90.0
SEND_RETRY_S = (1.0, 120.0)
"""Backoff and give-up time of a send the producer refused."""
SEND_TIMEOUT_S = 20.0
"""An acknowledgement not come by then is given up, the gateway's producers are made anew
and the request is sent again (an idempotent producer's send never times out by itself,
and one that talked to a broker that restarted can hold its batches for minutes)."""


@dataclass
class Sent:
    redemption_id: uuid.UUID
    currency: str
    kind: str
    """ordinary, tight (sent near its quote's expiry because the quote came late), late."""
    at: float
    """Monotonic: when the first request was handed to the producer."""


@dataclass
class Traffic:
    config: SoakConfig
    outside: Outside
    tracker: SoakTracker
    holders: list[Holder]
    rng: random.Random
    sent: dict[uuid.UUID, Sent] = field(default_factory=dict)
    deposits: dict[uuid.UUID, float] = field(default_factory=dict)
    """deposit id -> when its notice was first sent."""
    counts: Counter[str] = field(default_factory=Counter)
    """quotes refused, quotes lost, duplicates, send retries and failures."""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _started: float = 0.0
    _reconnected: float = 0.0

    def since_start(self) -> float:
        return time.monotonic() - self._started

    async def run(self) -> None:
        """Send for `config.seconds`, then wait for every journey already begun."""
        self._started = time.monotonic()
        await asyncio.gather(
            self._paced(self.config.rate, self._redemption),
            self._paced(self.config.deposit_rate, self._deposit),
        )
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=QUOTE_WAIT_S + SEND_RETRY_S[1])

    async def _paced(self, rate: float, start: Callable[[int], Coroutine[Any, Any, None]]) -> None:
        if rate <= 0:
            return
        count = int(rate * self.config.seconds)
        for i in range(count):
            await asyncio.sleep(max(0.0, self._started + i / rate - time.monotonic()))
            task = asyncio.create_task(start(i))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _later(self, delay: tuple[float, float]) -> float:
        """A duplicate's delay, within the load (the faults end with it)."""
        return min(self.rng.uniform(*delay), max(0.0, self.config.seconds - self.since_start()))

    async def _redemption(self, i: int) -> None:
        rid, holder = uuid.uuid4(), self.holders[i % len(self.holders)]
        currency = CROSS_CURRENCIES[i % len(CROSS_CURRENCIES)]
        due = time.monotonic() + QUOTE_LEAD_S
        late = (
            currency != "CNH"
            and self.rng.random() < self.config.late
            and self.config.seconds - self.since_start() > LATE_NEEDS_S
        )
        quote_id = None
        if currency != "CNH":
            quote = holder.quote_request(rid, REDEEM_TOKENS, currency)
            await self._send(lambda: self.outside.quote(quote))
            quote_id = await self._quote(rid)
            if quote_id is None:
                return
            expires = self.tracker.expiries[rid]
            if late:
                due = time.monotonic() + _until(expires) + LATE_BY_S
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        kind = "late" if late else "ordinary"
        if (
            currency != "CNH"
            and not late
            and _until(self.tracker.expiries[rid]) < ORDINARY_MARGIN_S
        ):
            kind = "tight"
        request = holder.redeem_request(rid, REDEEM_TOKENS, currency, quote_id)
        self.sent[rid] = Sent(rid, currency, kind, time.monotonic())
        await self._send(lambda: self.outside.redeem(request))
        if self.rng.random() < self.config.duplicates:
            await asyncio.sleep(self._later(SOON_S if self.rng.random() < 0.5 else MUCH_LATER_S))
            self.counts["redeem duplicates"] += 1
            await self._send(lambda: self.outside.redeem(request))

    async def _quote(self, rid: uuid.UUID) -> uuid.UUID | None:
        deadline = time.monotonic() + QUOTE_WAIT_S
        while time.monotonic() < deadline:
            if rid in self.tracker.quotes and rid in self.tracker.expiries:
                return self.tracker.quotes[rid]
            if rid in self.tracker.outcomes:
                self.counts["quotes refused"] += 1
                return None
            await asyncio.sleep(0.2)
        self.counts["quotes never answered"] += 1
        return None

    async def _deposit(self, i: int) -> None:
        holder = self.rng.choice(self.holders)
        remittance = f"Top-up {holder.deposit_reference}"
        reference = f"DEP{uuid.UUID(int=self.rng.getrandbits(128)).hex[:16].upper()}"
        self.deposits[deposit_id_of(reference)] = time.monotonic()

        async def notify() -> None:
            await self.outside.deposit(remittance, DEPOSIT_CNH, holder.bank_account, reference)

        await self._send(notify)
        if self.rng.random() < self.config.duplicates:
            await asyncio.sleep(self._later(SOON_S if self.rng.random() < 0.5 else MUCH_LATER_S))
            self.counts["deposit duplicates"] += 1
            await self._send(notify)

    async def _reconnect(self) -> None:
        """New producers for the gateway, at most once per SEND_TIMEOUT_S (every request
        waiting on the old ones times out at about the same moment)."""
        if time.monotonic() - self._reconnected < SEND_TIMEOUT_S:
            return
        self._reconnected = time.monotonic()
        self.counts["gateway reconnects"] += 1
        await self.outside.reconnect()

    async def _send(self, send: Callable[[], Awaitable[None]]) -> None:
        """Hand a request to the producer, again while it refuses (broker away)."""
        deadline = time.monotonic() + SEND_RETRY_S[1]
        while True:
            try:
                await asyncio.wait_for(send(), SEND_TIMEOUT_S)
                return
            except Exception as exc:  # whatever the client raises: a gateway tries again
                if isinstance(exc, TimeoutError):
                    await self._reconnect()
                if time.monotonic() > deadline:
                    self.counts[f"send failed: {type(exc).__name__}"] += 1
                    return
                self.counts["send retries"] += 1
                await asyncio.sleep(SEND_RETRY_S[0])


def _until(moment: dt.datetime) -> float:
    return (moment - dt.datetime.now(dt.UTC)).total_seconds()
