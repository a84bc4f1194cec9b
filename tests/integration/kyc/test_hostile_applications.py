"""Schema-valid applications with impossible dates: decided once, rejected with a typed
reason (never a handler error or a dead letter), and the applications beside them go on;
particulars that do not open: dead-lettered at once with the reason, never the value."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schemas.kyc import CustomerRejected, CustomerVerified, IndividualApplication
from tests.integration.kyc.support import DEAD_LETTERS, apply, events, person
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


async def test_particulars_that_do_not_open_are_dead_lettered_with_the_reason_only(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    victim = person("Siu Fong Ho", document="K9988776")
    # the victim's sealed particulars, copied into another customer's application
    copied = IndividualApplication(
        customer_id=uuid.uuid4(), due_diligence="standard", particulars=victim.particulars
    )
    # sealed to another service: only settlement's key could open it
    stranger = uuid.uuid4()
    elsewhere = IndividualApplication(
        customer_id=stranger,
        due_diligence="standard",
        particulars=victim.particulars.model_copy(update={"to": "settlement"}),
    )
    fine = person("Mei Ling Tsang", document="K1122334")
    await apply(platform, copied, elsewhere, fine)

    [verified] = await events(platform, 1)
    assert verified.payload.customer_id == fine.customer_id
    records = await platform.read("kyc.dlq", lambda rs: len(rs) >= 2)
    letters = sorted(
        (DEAD_LETTERS.decode(r.value).payload for r in records), key=lambda d: d.reason
    )
    assert [d.reason for d in letters] == ["sealed_tampered", "sealed_wrong_recipient"]
    for letter in letters:
        assert letter.attempts == 1  # no retry can open it
        assert letter.value_b64 is None
        assert letter.value_digest is not None
        assert "Siu Fong" not in letter.model_dump_json()
    rows = await platform.query("kyc", "SELECT customer_id FROM customers")
    assert [r["customer_id"] for r in rows] == [fine.customer_id]
