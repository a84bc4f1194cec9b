"""The isolated test environment itself: a service started in a namespace consumes, replies
and dead-letters inside that namespace only."""

from __future__ import annotations

import uuid

import pytest

from schemas import envelope
from services.runtime.dlq import read_letters, replay
from tests.integration.runtime.conftest import DEAD_LETTERS, REPLIES
from tests.support.counter.contracts import Add
from tests.support.counter.service import MIGRATIONS
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


def AS_KYC(platform: Environment) -> dict[str, str]:
    """The counter plays kyc on kyc's topics: it logs in to Kafka as kyc, with kyc's
    consumer groups (its database stays its own)."""
    return {"CNH_PRINCIPAL": "kyc", "CNH_CONSUMER_GROUP": f"{platform.namespace}.kyc"}


async def test_a_service_in_a_namespace_talks_only_to_its_namespace(platform: Environment) -> None:
    await platform.database("counter", MIGRATIONS)
    await platform.start(
        "counter",
        module="tests.support.counter.service",
        CNH_TEST_COMMANDS_TOPIC="kyc.commands",  # logical names: the namespace is added
        CNH_TEST_EVENTS_TOPIC="kyc.events",
        CNH_DEAD_LETTER_TOPIC="kyc.dlq",
        **AS_KYC(platform),
    )
    command = envelope(
        Add(account="ns", amount=3),
        producer="test",
        correlation_id=uuid.uuid4(),
        reply_to=platform.topic("redemption.replies"),
    )
    await platform.send("kyc.commands", "ns", command)
    await platform.send_raw("kyc.commands", [(b"ns", b"not json")])

    reply = REPLIES.decode((await platform.read("redemption.replies", bool))[0].value)
    letter = DEAD_LETTERS.decode((await platform.read("kyc.dlq", bool))[0].value)
    events = await platform.read("kyc.events", bool)

    assert reply.payload.total == 3
    assert letter.payload.source_topic == platform.topic("kyc.commands")
    assert len(events) == 1
    rows = await platform.query("counter", "SELECT total FROM counters")
    assert [r["total"] for r in rows] == [3]


async def test_dead_letters_are_listed_and_replayed_to_their_source(platform: Environment) -> None:
    await platform.database("counter", MIGRATIONS)
    await platform.start(
        "counter",
        module="tests.support.counter.service",
        CNH_TEST_COMMANDS_TOPIC="kyc.commands",
        CNH_TEST_EVENTS_TOPIC="kyc.events",
        CNH_DEAD_LETTER_TOPIC="kyc.dlq",
        **AS_KYC(platform),
    )
    await platform.send_raw("kyc.commands", [(b"k", b"\x00 not a message")])
    await platform.read("kyc.dlq", bool)

    operator = platform.servers.kafka_as("operator")
    letters = await read_letters(operator, platform.namespace, ["kyc"])
    assert [item.letter.reason for item in letters] == ["not_json"]
    await replay(operator, letters)

    replayed = await platform.read("kyc.commands", lambda records: len(records) >= 2)
    assert replayed[1].value == replayed[0].value == b"\x00 not a message"
    assert replayed[1].key == b"k"
    await platform.read("kyc.dlq", lambda records: len(records) >= 2)  # still not a message
