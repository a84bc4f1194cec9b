"""The load generator: holders onboarded and funded through the ingress topics, then
steps of open-loop load. Requests are sent on a fixed schedule (offered rate), never
waiting for outcomes; the tracker stamps each outcome's arrival.

Redemptions: a mix of cross-currency (USD, HKD) and CNH payouts. A cross-currency one is
quoted first (QuoteRedemption), QUOTE_LEAD_S ahead of its scheduled Redeem, as a wallet
gateway quotes while the customer looks at the price; its Redeem is sent at its scheduled
time, or as soon as its quote arrives if that is later. Latency is measured from the
Redeem send to the outcome event on redemption.events (the quote is load, not latency).
Mints: DepositReceived on settlement.bank-notifications -> Minted on issuance.events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.tracker import Tracker
from clients.money import cnh, tokens
from clients.outside import Outside
from clients.scenarios import Holder, Person, onboard
from clients.watcher import Watcher
from schemas.redemption import QuoteRedemption
from services.runtime.access import KafkaAccess
from services.settlement.domain.deposits import deposit_id as deposit_id_of

QUOTE_LEAD_S = 2.0
CROSS_CURRENCIES = ("USD", "HKD", "USD", "CNH")
"""The payout mix, cycled: three in four redemptions are cross-currency."""
REDEEM_TOKENS = tokens("10.00")
DEPOSIT_CNH = cnh("1000.00")
TICK_S = 0.005


@dataclass
class StepResult:
    kind: str
    offered_per_s: float
    duration_s: float
    sent: int
    done: int
    completed: int
    failed: int
    unfinished: int
    throughput_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    late_quotes: int = 0
    stored_before: int = 0
    replicas: int = 1
    label: str = ""
    extra: dict[str, float] = field(default_factory=dict)


async def onboard_holders(
    kafka: KafkaAccess, namespace: str, outside: Outside, count: int
) -> list[Holder]:
    people = [
        Person(f"Bench Customer {n:05d}", dt.date(1980, 1, 1) + dt.timedelta(days=n), "HK",
               f"B{n:07d}")
        for n in range(count)
    ]  # fmt: skip
    async with Watcher(kafka, namespace, topics=("kyc.events",)) as watcher:
        holders = []
        for start in range(0, count, 100):  # a few at a time keeps the watcher's scans short
            chunk = people[start : start + 100]
            holders += await asyncio.gather(
                *(onboard(outside, watcher, p, timeout_s=120) for p in chunk)
            )
    verified = [h for h in holders if h.decision == "verified"]
    if len(verified) < count:
        raise RuntimeError(f"only {len(verified)} of {count} holders verified")
    return verified


async def _paced(count: int, rate: float, send: Callable[[int], Awaitable[None]]) -> float:
    """Call send(i) for i in range(count) on an open-loop schedule; returns the start."""
    started = time.monotonic()
    sent = 0
    while sent < count:
        due = min(count, int((time.monotonic() - started) * rate) + 1)
        while sent < due:
            await send(sent)
            sent += 1
        await asyncio.sleep(TICK_S)
    return started


async def mint_step(
    outside: Outside, tracker: Tracker, holders: list[Holder], rate: float, seconds: float,
    drain_s: float,
) -> StepResult:  # fmt: skip
    count = max(1, int(rate * seconds))
    sent_at: dict[uuid.UUID, float] = {}

    async def send(i: int) -> None:
        holder = holders[i % len(holders)]
        reference = await outside.deposit(
            f"Top-up {holder.deposit_reference}", DEPOSIT_CNH, holder.bank_account
        )
        sent_at[deposit_id_of(reference)] = time.monotonic()

    started = await _paced(count, rate, send)
    await outside.flush()
    await _wait(lambda: all(d in tracker.minted for d in sent_at), drain_s)
    arrivals = {d: tracker.minted[d] for d in sent_at if d in tracker.minted}
    return _result(
        "mint", rate, seconds, started, sent_at, arrivals, {d: "completed" for d in arrivals}
    )


async def redemption_step(
    outside: Outside, tracker: Tracker, holders: list[Holder], rate: float, seconds: float,
    drain_s: float, label: str = "",
) -> StepResult:  # fmt: skip
    count = max(1, int(rate * seconds))
    plan = [
        (uuid.uuid4(), holders[i % len(holders)], CROSS_CURRENCIES[i % len(CROSS_CURRENCIES)])
        for i in range(count)
    ]
    sent_at: dict[uuid.UUID, float] = {}
    waiting: deque[int] = deque()  # due, but the quote has not arrived yet
    late = 0

    async def redeem(i: int) -> None:
        rid, holder, currency = plan[i]
        # signed by the holder's wallet as it is sent, as a wallet would (about 0.3 ms each)
        await outside.redeem(
            holder.redeem_request(rid, REDEEM_TOKENS, currency, tracker.quotes.get(rid))
        )
        sent_at[rid] = time.monotonic()

    async def quote(i: int) -> None:
        rid, holder, currency = plan[i]
        if currency != "CNH":
            await outside.quote(
                QuoteRedemption(
                    redemption_id=rid, customer_id=holder.customer_id,
                    wallet_id=holder.wallet_id, amount=REDEEM_TOKENS, payout_currency=currency,
                )
            )  # fmt: skip

    lead = int(QUOTE_LEAD_S * rate)
    for i in range(min(lead, count)):  # the first quotes go out ahead of the step
        await quote(i)
    await outside.flush()
    await asyncio.sleep(QUOTE_LEAD_S)

    async def send(i: int) -> None:
        nonlocal late
        if i + lead < count:
            await quote(i + lead)
        while waiting and _ready(plan[waiting[0]], tracker):
            await redeem(waiting.popleft())
        if waiting or not _ready(plan[i], tracker):
            waiting.append(i)
            late += 1
        else:
            await redeem(i)

    started = await _paced(count, rate, send)
    deadline = time.monotonic() + drain_s
    while waiting and time.monotonic() < deadline:  # quotes still on their way
        while waiting and _ready(plan[waiting[0]], tracker):
            await redeem(waiting.popleft())
        await asyncio.sleep(TICK_S)
    await outside.flush()
    await _wait(lambda: all(r in tracker.outcomes for r in sent_at), deadline - time.monotonic())
    arrivals = {r: tracker.outcomes[r][0] for r in sent_at if r in tracker.outcomes}
    statuses = {r: tracker.outcomes[r][1] for r in arrivals}
    result = _result("redemption", rate, seconds, started, sent_at, arrivals, statuses)
    result.unfinished += count - len(sent_at)  # never sent: their quote did not come
    result.late_quotes = late
    result.label = label
    return result


def _ready(item: tuple[uuid.UUID, Holder, str], tracker: Tracker) -> bool:
    rid, _, currency = item
    return currency == "CNH" or rid in tracker.quotes


async def _wait(done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + max(0.0, timeout_s)
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110  (polled state)
        await asyncio.sleep(0.1)


def _result(
    kind: str,
    rate: float,
    seconds: float,
    started: float,
    sent_at: dict[uuid.UUID, float],
    arrivals: dict[uuid.UUID, float],
    statuses: dict[uuid.UUID, str],
) -> StepResult:
    latencies = sorted((arrivals[k] - sent_at[k]) * 1000 for k in arrivals)
    completed = sum(1 for s in statuses.values() if s == "completed")
    # throughput: finished outcomes over the time from the first send to the last outcome
    # (under capacity this is the offered rate; past it, the rate the platform drains at)
    span = (max(arrivals.values()) - started) if arrivals else seconds
    return StepResult(
        kind=kind,
        offered_per_s=rate,
        duration_s=seconds,
        sent=len(sent_at),
        done=len(arrivals),
        completed=completed,
        failed=len(arrivals) - completed,
        unfinished=len(sent_at) - len(arrivals),
        throughput_per_s=round(completed / span, 1) if span > 0 else 0.0,
        p50_ms=_pct(latencies, 50),
        p95_ms=_pct(latencies, 95),
        p99_ms=_pct(latencies, 99),
        max_ms=round(latencies[-1], 1) if latencies else None,
    )


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return round(values[index], 1)
