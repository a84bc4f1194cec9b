"""Rate review on real Kafka and PostgreSQL: forged rates that walk a pair away from its own
window in small steps hold the pair for review; quotes are refused until an operator decides."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from schemas import Codec
from schemas.fx import QuoteIssued, QuoteRejected, RateHeld
from tests.integration.fx.conftest import FxClient

pytestmark = pytest.mark.integration


async def test_forty_forged_small_steps_hold_the_pair_and_quotes_are_refused(
    fx: FxClient,
) -> None:
    await fx.start()
    assert isinstance(await fx.quote(uuid.uuid4(), "1000.00", "EUR"), QuoteIssued)  # the seed

    # 0.128 -> 0.745 EUR per CNH in forty steps of 4.5 % each: inside the 5 % per-step band
    step = (Decimal("0.745") / Decimal("0.128")) ** (Decimal(1) / 40)
    start = dt.datetime.now(dt.UTC)
    for n in range(1, 41):
        mid = (Decimal("0.128") * step**n).quantize(Decimal("0.000001"))
        await fx.send_rate("CNH/EUR", str(mid), start + dt.timedelta(milliseconds=n))
    await fx.wait_rate_updates(40)

    refused = await fx.quote(uuid.uuid4(), "1000.00", "EUR")
    assert isinstance(refused, QuoteRejected)
    assert refused.reason == "rate_under_review"
    # another pair is quoted as before
    assert isinstance(await fx.quote(uuid.uuid4(), "1000.00", "USD"), QuoteIssued)

    rows = await fx.platform.query(
        "fx",
        "SELECT accepted, reason FROM rate_updates WHERE source = 'test-feed' ORDER BY id",
    )
    assert not any(r["accepted"] for r in rows)  # no walked rate ever reached the book
    assert rows[0]["reason"] == "held"
    book = await fx.platform.query("fx", "SELECT per_cnh FROM rates WHERE currency = 'EUR'")
    assert book[0]["per_cnh"] == Decimal("0.128")

    codec = Codec([RateHeld])
    records = await fx.platform.read("fx.events", lambda rs: any(_is_held(r.headers) for r in rs))
    [held] = [codec.decode(r.value).payload for r in records if _is_held(r.headers)]
    assert str(held.pair) == "CNH/EUR"
    assert held.window_median == "0.128"
    assert held.drift_bps > held.bound_bps == 300

    code, out, err = await fx.platform.cli("fx", "holds")
    assert code == 0, out + err
    assert "CNH/EUR open" in out, out

    # the operator rejects the forged rates: quoting resumes on the book's own rate
    code, out, err = await fx.platform.cli("fx", "reject", "CNH/EUR")
    assert code == 0, out + err
    after = await fx.quote(uuid.uuid4(), "1000.00", "EUR")
    assert isinstance(after, QuoteIssued)
    assert Decimal(after.rate) < Decimal("0.128")
    code, out, err = await fx.platform.cli("fx", "reject", "CNH/EUR")
    assert code == 2, out + err  # nothing held any more


def _is_held(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> bool:
    return any(key == "type" and value == b"fx.rate_held" for key, value in headers)
