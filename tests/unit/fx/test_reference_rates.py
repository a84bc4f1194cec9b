"""A reference rate from the feed: accepted into the book, ignored, refused, or held for
review (the first held rate announced, later ones joining the open hold)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from schemas.fx import RateHeld, ReferenceRate
from schemas.rates import CurrencyPair
from services.fx.use_cases.rates import take_reference_rate
from tests.unit.fx.fakes import FxFakeWork

USD = CurrencyPair(base="CNH", quote="USD")


async def feed(work: FxFakeWork, mid: str, ago_s: float = 0, pair: CurrencyPair = USD) -> None:
    as_of = work.now() - dt.timedelta(seconds=ago_s)
    await take_reference_rate(work, ReferenceRate(pair=pair, mid=mid, as_of=as_of, source="feed"))
    work.next_message()


async def test_a_rate_is_accepted_into_the_book() -> None:
    work = FxFakeWork()

    await take_reference_rate(
        work, ReferenceRate(pair=USD, mid="0.1389", as_of=work.now(), source="feed")
    )

    assert work.rates.book["USD"].rate.per_cnh == Decimal("0.1389")
    assert [u.refusal for u in work.rates.updates] == [None]
    assert work.published == []


async def test_a_rate_quoted_the_other_way_is_inverted() -> None:
    work = FxFakeWork()
    await feed(work, "8", pair=CurrencyPair(base="USD", quote="CNH"))
    assert work.rates.book["USD"].rate.per_cnh == Decimal("0.125")


async def test_a_pair_without_cnh_is_ignored_and_not_recorded() -> None:
    work = FxFakeWork()
    await feed(work, "7.8", pair=CurrencyPair(base="USD", quote="HKD"))
    assert work.rates.updates == []
    assert work.rates.book == {}


async def test_a_jump_is_recorded_as_refused_and_leaves_the_book() -> None:
    work = FxFakeWork()
    await feed(work, "0.1389", ago_s=1)

    await feed(work, "0.1500")  # 8 % in one step, the band is 5 %

    assert work.rates.book["USD"].rate.per_cnh == Decimal("0.1389")
    refusal = work.rates.updates[-1].refusal
    assert refusal is not None
    assert refusal[0] == "jump"


async def test_a_walk_away_from_the_window_is_held_and_announced_once() -> None:
    work = FxFakeWork()
    for ago in (300, 200, 100):
        await feed(work, "0.1389", ago_s=ago)
    await feed(work, "0.1420", ago_s=50)  # 2.2 % from the hour's median: accepted

    await take_reference_rate(
        work, ReferenceRate(pair=USD, mid="0.1440", as_of=work.now(), source="feed")
    )

    # 1.4 % from the book's rate, but 3.7 % from the hour's median (the bound is 3 %)
    assert work.rates.book["USD"].rate.per_cnh == Decimal("0.1420")
    refusal = work.rates.updates[-1].refusal
    assert refusal is not None
    assert refusal[0] == "held"
    assert work.holds.open["USD"].last_update_id == 5
    (held,) = work.payloads(RateHeld)
    assert isinstance(held, RateHeld)
    assert (held.held_per_cnh, held.window_median, held.window_s) == ("0.144", "0.1389", 3600)
    assert work.published[0].key == "CNH/USD"

    work.next_message()
    await take_reference_rate(
        work, ReferenceRate(pair=USD, mid="0.1445", as_of=work.now(), source="feed")
    )

    assert work.holds.open["USD"].last_update_id == 6  # a release would apply the latest
    assert work.published == []
