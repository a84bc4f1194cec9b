"""The declarative topic registry applied to the real broker."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from infra.kafka.topics import apply, delete_namespace, raise_on_error
from schemas.topics import TOPICS, topic
from services.runtime.access import KafkaAccess
from tests.support.polling import eventually
from tests.support.servers import Servers

pytestmark = pytest.mark.integration


async def test_applying_the_registry_creates_every_topic_and_then_finds_no_drift(
    servers: Servers,
) -> None:
    assert await apply(servers.admin, check_only=False) == 0
    await _eventually_checks(servers.admin, 0)  # new topics' configs propagate

    admin = AIOKafkaAdminClient(**servers.admin.client_options())
    await admin.start()
    try:
        found = {t["topic"]: t for t in await admin.describe_topics([t.name for t in TOPICS])}
        for expected in TOPICS:
            assert len(found[expected.name]["partitions"]) == expected.partitions
        dlq = topic("issuance.dlq")
        # drift: someone shortened retention by hand; --check notices, apply repairs it
        response = await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    dlq.name,
                    configs={**dlq.configs(), "retention.ms": "1000"},
                )
            ]
        )
        raise_on_error(response)
        await _eventually_checks(servers.admin, 1)
        assert await apply(servers.admin, check_only=False) == 0
        await _eventually_checks(servers.admin, 0)
    finally:
        await admin.close()


async def _eventually_checks(admin: KafkaAccess, expected: int) -> None:
    """`apply --check` finds `expected` drifts. A config change goes through the controller's
    metadata log and reaches the broker's cache (which describe_configs reads) a moment
    later."""
    await eventually(
        lambda: apply(admin, check_only=True),
        lambda drifts: drifts == expected,
        timeout_s=30,
        what=f"{expected} drifts",
    )


async def test_a_namespace_gets_the_whole_registry_and_is_deleted_with_it(
    servers: Servers,
) -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}"
    assert await apply(servers.admin, False, namespace=namespace, partitions=2, verbose=False) == 0
    admin = AIOKafkaAdminClient(**servers.admin.client_options())
    await admin.start()
    try:
        wanted = {f"{namespace}.{t.name}" for t in TOPICS}
        # the broker answers from metadata that catches up a moment later
        await eventually(
            admin.list_topics, lambda names: wanted <= set(names), timeout_s=30, what="every topic"
        )
        await delete_namespace(servers.admin, namespace)
        await eventually(
            admin.list_topics,
            lambda names: not any(n.startswith(f"{namespace}.") for n in names),
            timeout_s=30,
            what="no topic of the namespace",
        )
    finally:
        await admin.close()
