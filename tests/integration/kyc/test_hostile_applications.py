"""Schema-valid applications with impossible dates: decided once, rejected with a typed
reason (never a handler error or a dead letter), and the applications beside them go on."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.kyc import CustomerRejected, CustomerVerified
from tests.integration.kyc.support import apply, events, person
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def test_an_impossible_birth_date_is_rejected_with_its_reason(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    unborn = person("Wing Yan Chau", born=dt.date.today() + dt.timedelta(days=30))
    ancient = person("Ka Ming Lee", born=dt.date(1899, 12, 31), document="K5544332")
    fine = person("Mei Ling Tsang", born=dt.date(1900, 1, 1), document="K1122334")
    await apply(platform, unborn, ancient, fine)

    published = {e.payload.customer_id: e.payload for e in await events(platform, 3)}
    assert isinstance(published[unborn.customer_id], CustomerRejected)
    assert published[unborn.customer_id].reason == "date_of_birth_in_future"
    assert isinstance(published[ancient.customer_id], CustomerRejected)
    assert published[ancient.customer_id].reason == "date_of_birth_before_1900"
    assert isinstance(published[fine.customer_id], CustomerVerified)
    rows = await platform.query("kyc", "SELECT status FROM customers WHERE customer_id = $1",
        unborn.customer_id,
    )  # fmt: skip
    assert rows[0]["status"] == "rejected"
