"""The broker lets each principal do exactly what the topic registry grants, and nothing else.

For every topic of the registry and every principal, a write and a read are attempted
against the real broker (SASL_SSL, SCRAM-SHA-512, ACLs on) and held against the grants:
every attempt the registry does not grant must be denied (100 % denied, 0 allowed), and
every attempt it grants must succeed (or the services could not work).
"""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from infra.kafka.acls import apply as acls_apply
from infra.kafka.acls import grants
from schemas.principals import OPERATOR, PRINCIPALS
from schemas.topics import TOPICS
from services.runtime.access import KafkaAccess
from tests.security.probes import joins, reads, writes
from tests.support.environment import Environment
from tests.support.kafka import produce

pytestmark = pytest.mark.integration

PROBED = [p.name for p in PRINCIPALS if p.kind != "admin"]


def granted(namespace: str) -> set[tuple[str, str, str]]:
    return {(g.principal, g.operation, g.name) for g in grants(namespace) if g.resource == "topic"}


async def test_every_write_and_read_the_registry_does_not_grant_is_denied(
    platform: Environment,
) -> None:
    topics = [platform.topic(t.name) for t in TOPICS]
    for name in topics:  # something to read on every topic
        await produce(platform.servers.admin, name, [(b"seed", b"seed")])
    allowed = granted(platform.namespace)

    outcomes: list[tuple[str, str, str, bool, bool]] = []
    for principal in PROBED:
        kafka = platform.servers.kafka_as(principal)
        wrote = await writes(kafka, topics)
        read = await reads(kafka, topics)
        for topic in topics:
            outcomes.append(
                (principal, "WRITE", topic, wrote[topic], (principal, "WRITE", topic) in allowed)
            )
            outcomes.append(
                (principal, "READ", topic, read[topic], (principal, "READ", topic) in allowed)
            )

    forbidden = [o for o in outcomes if not o[4]]
    leaked = [o[:3] for o in forbidden if o[3]]
    refused = [o[:3] for o in outcomes if o[4] and not o[3]]
    print(
        f"\n{len(outcomes)} attempts: {len(forbidden)} not granted, of which "
        f"{len(forbidden) - len(leaked)} denied and {len(leaked)} allowed; "
        f"{len(outcomes) - len(forbidden)} granted, of which {len(refused)} refused"
    )
    assert len(outcomes) == len(PROBED) * len(TOPICS) * 2
    assert len(forbidden) > len(outcomes) / 2, "the registry grants most of what it should not"
    assert leaked == [], "allowed without a grant"
    assert refused == [], "granted, yet refused: a service could not do its work"


@pytest.mark.parametrize(
    ("principal", "topic", "group_of", "allowed"),
    [
        ("issuance", "kyc.events", "issuance", True),
        ("issuance", "kyc.events", "settlement", False),  # another service's group
        ("gateway", "redemption.events", "redemption", False),
        ("operator", "kyc.commands", "kyc", False),  # the tools read without a group
    ],
)
async def test_a_principal_consumes_only_in_its_own_groups(
    platform: Environment, principal: str, topic: str, group_of: str, allowed: bool
) -> None:
    group = f"{platform.namespace}.{group_of}.{topic}"
    kafka = platform.servers.kafka_as(principal)
    assert await joins(kafka, platform.topic(topic), group) is allowed


async def test_no_credentials_or_a_wrong_password_cannot_connect(platform: Environment) -> None:
    real = platform.servers.kafka_as("gateway")
    wrong = KafkaAccess(real.bootstrap, "gateway", SecretStr("not-the-password"), real.ca_file)
    nobody = KafkaAccess(real.bootstrap, "nobody", SecretStr("guess"), real.ca_file)
    plaintext = KafkaAccess(real.bootstrap, "gateway", protocol="PLAINTEXT")
    for access in (wrong, nobody, plaintext):
        producer = AIOKafkaProducer(**access.client_options(), request_timeout_ms=5_000)
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.stop()


async def test_a_client_that_does_not_trust_the_broker_certificate_cannot_connect(
    platform: Environment,
) -> None:
    real = platform.servers.kafka_as("gateway")
    options = real.client_options() | {"ssl_context": ssl.create_default_context()}
    producer = AIOKafkaProducer(**options, request_timeout_ms=5_000)
    with pytest.raises(KafkaConnectionError):
        await producer.start()  # the system's CAs do not know the run folder's CA
    await producer.stop()


async def test_the_acls_on_the_broker_match_the_registry(platform: Environment) -> None:
    """`make topics-check`'s ACL half, on this environment's namespace: no drift, and every
    principal logs in with the password of its secrets folder."""
    servers = platform.servers
    drift = await acls_apply(
        servers.admin, servers.secrets_root, True, namespace=platform.namespace, verbose=False
    )
    assert drift == 0
    assert OPERATOR in PROBED
