"""The topic registry: the one definition `make topics` and every service rely on."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from schemas.ids import Name
from schemas.principals import SERVICES
from schemas.topics import BY_NAME, TOPICS, Topic, topic
from services.runtime.settings import ServiceSettings


def _name_pattern() -> str:
    [constraints] = [arg for arg in get_args(Name)[1:] if hasattr(arg, "pattern")]
    pattern: str = constraints.pattern
    return pattern


def test_topic_names_are_unique() -> None:
    names = [t.name for t in TOPICS]
    assert len(names) == len(set(names))
    assert BY_NAME.keys() == set(names)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_dead_letter_topic(service: str) -> None:
    # the topic each service's consumer dead-letters to (its settings name it)
    settings = ServiceSettings(service=service, secrets_root="/run/secrets")
    dlq = topic(settings.dead_letter_topic)
    assert dlq.role == "dead_letters"
    assert dlq.owner == service


@pytest.mark.parametrize("t", TOPICS, ids=lambda t: t.name)
def test_topic_definitions_are_valid(t: Topic) -> None:
    assert re.fullmatch(_name_pattern(), t.name), t.name
    assert len(t.name) <= 100
    assert t.partitions >= 1
    assert t.retention_ms > 0
    assert t.owner in SERVICES
    assert t.configs() == {
        "retention.ms": str(t.retention_ms),
        "cleanup.policy": t.cleanup_policy,
        "max.message.bytes": str(t.max_message_bytes),
        "message.timestamp.type": "LogAppendTime" if t.stamped_on_arrival else "CreateTime",
    }


def test_redeem_requests_are_stamped_by_the_broker_on_arrival() -> None:
    # a quote is honoured for a request that arrived before its expiry: the broker's
    # clock says when, never the gateway's
    assert topic("redemption.requests").stamped_on_arrival
    assert topic("redemption.requests").configs()["message.timestamp.type"] == "LogAppendTime"


def test_dead_letter_topics_take_a_dead_letter_of_the_largest_record() -> None:
    from schemas.envelope import MAX_MESSAGE_BYTES
    from schemas.runtime import DEAD_LETTER_MAX_BYTES

    for t in TOPICS:
        if t.role == "dead_letters":
            assert t.max_message_bytes > DEAD_LETTER_MAX_BYTES
        else:
            assert t.max_message_bytes >= MAX_MESSAGE_BYTES


def test_every_service_owns_its_command_or_ingress_topic() -> None:
    consumed = {t.owner for t in TOPICS if t.role in {"commands", "ingress", "replies"}}
    assert consumed == set(SERVICES)


def test_unknown_topics_are_refused() -> None:
    with pytest.raises(KeyError, match="not in the topic registry"):
        topic("kyc.command")
