"""No record can stop settlement: bank notices whose envelope names, as their reply_to, a topic
that does not exist are dead-lettered as `invalid_reply_to` (their sender not told, the valid
one not applied), and the valid work behind them is published promptly."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from schemas import Codec, DeadLetter, envelope
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from services.runtime.consumer import INVALID_REPLY_TO
from services.settlement.domain.deposits import deposit_id as deposit_id_of
from tests.integration.settlement.conftest import Settlement, deposit_reference

pytestmark = pytest.mark.integration

DEAD_LETTERS = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)
PROMPTLY_S = 15.0
"""Well below the 40 s a send to a missing topic would wait, and it would wait forever."""


async def test_notices_with_an_unregistered_reply_to_are_dead_lettered_and_block_nothing(
    settlement: Settlement,
) -> None:
    platform = settlement.platform
    nowhere = platform.topic("settlement.nowhere")  # in the namespace, but no reply topic
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)

    good = settlement.deposit(100_00, reference)
    # unreadable, with a reply address: it used to get a rejection sent to `nowhere`
    broken = _with_reply_to(settlement.deposit(5_00, reference), nowhere)
    broken["payload"]["amount"]["amount_minor"] = "a lot"
    # readable, but addressed to `nowhere`: not applied either
    misaddressed = envelope(
        settlement.deposit(7_00, reference),
        producer="bank-simulator",
        correlation_id=uuid.uuid4(),
        reply_to=nowhere,
    )
    key = good.bank_reference.encode()  # one partition: the bad ones come first
    sent = time.monotonic()
    await platform.send_raw(
        "settlement.bank-notifications",
        [
            (key, json.dumps(broken).encode()),
            (key, misaddressed.to_bytes()),
            (key, envelope(good, producer="bank", correlation_id=uuid.uuid4()).to_bytes()),
        ],
    )

    [mint] = await settlement.mint_commands(1)
    assert time.monotonic() - sent < PROMPTLY_S
    assert mint.payload.deposit_id == deposit_id_of(good.bank_reference)

    records = await platform.read("settlement.dlq", lambda rs: len(rs) >= 2)
    letters = [DEAD_LETTERS.decode(r.value).payload for r in records]
    assert [letter.reason for letter in letters] == [INVALID_REPLY_TO, INVALID_REPLY_TO]
    assert "also invalid_payload" in letters[0].detail
    assert nowhere not in letters[0].detail + letters[1].detail

    outbox = await platform.query(
        "settlement",
        "SELECT count(*) FILTER (WHERE topic = $1) AS nowhere,"
        "       count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked FROM outbox",
        nowhere,
    )
    assert dict(outbox[0]) == {"nowhere": 0, "parked": 0}, "nothing addressed to it at all"
    recorded = await platform.query(
        "settlement",
        "SELECT message_id FROM inbox WHERE message_id = ANY($1::uuid[])",
        [uuid.UUID(broken["message_id"]), misaddressed.message_id],
    )
    assert recorded == [], "no one was told: not recorded, so a replay after a fix applies them"
    deposits = await platform.query("settlement", "SELECT bank_reference FROM deposits")
    assert [d["bank_reference"] for d in deposits] == [good.bank_reference]


def _with_reply_to(notice: Any, reply_to: str) -> dict[str, Any]:
    env = envelope(notice, producer="bank-simulator", correlation_id=uuid.uuid4())
    document: dict[str, Any] = json.loads(env.to_bytes())
    document["reply_to"] = reply_to
    return document
