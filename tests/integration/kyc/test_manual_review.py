"""A compliance officer decides on customers referred to manual review: the decision is
recorded with who and why and announced like KYC's own decisions."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.kyc.support import apply, cli, events, person
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def test_a_referred_customer_is_approved_or_rejected_by_an_officer(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    # close to a listed name, other birth year and nationality: a possible match
    cleared, confirmed = (
        person(name, born=dt.date(1975, 2, 2), nationality="AR", document=document)
        for name, document in (
            ("Marisol Quintera Valdespino", "AR123456"),
            ("Marisol Quintera Valdespina", "AR654321"),
        )
    )
    await apply(platform, cleared, confirmed)
    referred = await events(platform, 2)
    assert {e.type for e in referred} == {"kyc.customer_referred"}

    code, out = await cli(
        platform,
        "approve-customer",
        str(cleared.customer_id),
        "--reason",
        "false_positive_cleared",
        "--actor",
        "officer.lee",
    )
    assert code == 0, out
    code, out = await cli(
        platform,
        "reject-customer",
        str(confirmed.customer_id),
        "--reason",
        "sanctions_match_confirmed",
    )
    assert code == 0, out
    code, out = await cli(
        platform, "approve-customer", str(confirmed.customer_id), "--reason", "changed_my_mind"
    )
    assert "not under review" in out, "a decided review is not reopened"

    published = await events(platform, 4)  # partitions interleave: compare as a set
    decided = {
        (e.type, e.payload.customer_id) for e in published if e.type != "kyc.customer_referred"
    }
    assert decided == {
        ("kyc.customer_verified", cleared.customer_id),
        ("kyc.customer_rejected", confirmed.customer_id),
    }
    history = await platform.query(
        "kyc",
        "SELECT actor, reason FROM kyc_history WHERE customer_id = $1 ORDER BY 1",
        cleared.customer_id,
    )
    assert ("cli:officer.lee", "false_positive_cleared") in [tuple(r) for r in history]
