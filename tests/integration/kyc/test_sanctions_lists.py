"""A list update re-screens existing customers: a new hit is frozen (event through the
outbox, same transaction as the list), stays sanctioned after an operator unfreezes it,
and loading the same list again changes nothing. Lists load from the real formats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.integration.kyc.support import (
    DEAD_LETTERS,
    REPLIES,
    apply,
    check,
    cli,
    events,
    outcome,
    person,
    verified_account,
    wallet,
    wrap,
)
from tests.support.environment import Environment

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[3] / "services" / "kyc" / "fixtures"


async def test_a_list_update_freezes_new_hits_and_they_stay_sanctioned(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    # not on the bundled list; added by its update
    newly_listed = person("Oskar Lindqvist Haralde", born=dt.date(1981, 9, 23), nationality="NO")
    bystander = person("Wong Siu Ling", born=dt.date(1992, 11, 3))
    registered = wallet(newly_listed.customer_id)
    await apply(platform, newly_listed, bystander, registered)
    assert {e.type for e in await events(platform, 3)} == {
        "kyc.customer_verified",
        "kyc.wallet_registered",
    }
    account = await verified_account(platform, newly_listed.customer_id, "Oskar Lindqvist Haralde")

    async def eligibility() -> str:
        command = check(newly_listed.customer_id, registered.wallet_id, 100, account=account)
        await platform.send(
            "kyc.commands", str(command.customer_id), wrap(platform, command, command=True)
        )
        records = await platform.read(
            "redemption.replies",
            lambda rs: any(
                REPLIES.decode(r.value).payload.redemption_id == command.redemption_id for r in rs
            ),
        )
        reply = next(
            p
            for r in records
            if (p := REPLIES.decode(r.value).payload).redemption_id == command.redemption_id
        )
        return outcome(reply)

    assert await eligibility() == "kyc.eligible"

    code, out = await cli(platform, "sanctions-load", str(FIXTURES / "un_consolidated_update.xml"))
    assert code == 0, out
    assert "un-consolidated:2026-02-01" in out
    assert "2 customers re-screened, 1 frozen" in out

    published = await events(platform, 5)  # the account's verification among them
    frozen = [e for e in published if e.type == "kyc.customer_frozen"]
    assert [(e.payload.customer_id, e.payload.reason) for e in frozen] == [
        (newly_listed.customer_id, "sanctions_match")
    ]
    assert await eligibility() == "customer_frozen"

    code, out = await cli(
        platform, "unfreeze-customer", str(newly_listed.customer_id), "--reason", "reviewed"
    )
    assert code == 0, out
    await events(platform, 6)
    assert await eligibility() == "sanctioned"  # unfrozen, but still a listed person

    code, out = await cli(platform, "sanctions-load", str(FIXTURES / "un_consolidated_update.xml"))
    assert code == 0, out
    assert "already loaded" in out

    # OFAC SDN CSV (sdn.csv + alt.csv beside it): another real format, no new hit here
    code, out = await cli(platform, "sanctions-load", str(FIXTURES / "ofac_sdn_sample.csv"))
    assert code == 0, out
    assert "ofac-sdn:" in out
    assert "3 entries" in out
    assert "0 frozen" in out

    history = await platform.query(
        "kyc",
        "SELECT action, actor, reason FROM kyc_history WHERE customer_id = $1 ORDER BY id",
        newly_listed.customer_id,
    )
    actions = [(h["action"], h["actor"].split(":")[0]) for h in history]
    assert ("rescreen_freeze", "cli") in actions
    assert ("customer_unfrozen", "cli") in actions
    assert any("XXi.904.26" in (h["reason"] or "") for h in history)
    versions = await platform.query(
        "kyc", "SELECT version FROM sanctions_lists ORDER BY loaded_seq"
    )
    assert [v["version"].split(":")[0] for v in versions] == [
        "un-consolidated",
        "un-consolidated",
        "ofac-sdn",
    ]


async def test_a_malformed_application_is_dead_lettered_with_its_reason_and_the_next_applied(
    platform: Environment,
) -> None:
    service = await platform.start("kyc")
    good = person("Lam Ka Ho")
    bad = person("Secret Person Name", document="SECRET999")
    document = wrap(platform, bad).model_dump(mode="json")
    document["payload"]["due_diligence"] = "Hong Kong"  # not an evidence level

    key = str(good.customer_id).encode()
    await platform.send_raw(
        "kyc.applications",
        [(key, b"{not json"), (key, json.dumps(document).encode())],
    )
    await apply(platform, good.model_copy())  # same key as the bad ones: same partition
    letters = [
        DEAD_LETTERS.decode(r.value).payload
        for r in await platform.read("kyc.dlq", lambda rs: len(rs) >= 2)
    ]
    decided = await events(platform, 1)

    assert sorted(letter.reason for letter in letters) == ["invalid_payload", "not_json"]
    invalid = next(letter for letter in letters if letter.reason == "invalid_payload")
    assert "payload.due_diligence" in invalid.detail
    assert "Hong Kong" not in invalid.detail  # the reason names fields, never values
    assert all(letter.source_topic == platform.topic("kyc.applications") for letter in letters)
    assert [(e.type, e.payload.customer_id) for e in decided] == [
        ("kyc.customer_verified", good.customer_id)
    ]
    rows = await platform.query("kyc", "SELECT customer_id FROM customers")
    assert [r["customer_id"] for r in rows] == [good.customer_id]
    # Personal data is not copied to the dead-letter topic (a digest identifies the record,
    # which stays at its source offset), nor to the log.
    assert all(letter.value_b64 is None and letter.value_digest for letter in letters)
    assert "Secret Person Name" not in service.log_path.read_text()
    assert "SECRET999" not in service.log_path.read_text()
