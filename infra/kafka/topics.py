"""Creates the platform's topics from the registry in schemas/topics.py, and their ACLs.

    python -m infra.kafka.topics [--bootstrap HOST:PORT] [--check]

Creates missing topics, raises partition counts that are too low (Kafka cannot lower them),
and sets retention and cleanup policy; then reconciles the principals and ACLs the registry
grants (infra/kafka/acls.py). `--check` changes nothing and exits 1 on drift. Runs as the
admin principal (its secrets folder under CNH_SECRETS_ROOT); waits for the broker while it
does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.admin.new_partitions import NewPartitions

from infra.kafka import acls
from schemas.topics import Topic, namespaced
from services.runtime.access import KafkaAccess
from services.runtime.dependencies import Waiter, kafka
from services.runtime.logging import configure_logging
from services.runtime.readiness import Readiness
from services.runtime.settings import ServiceSettings


async def apply(
    admin_access: KafkaAccess,
    check_only: bool,
    *,
    namespace: str = "",
    partitions: int | None = None,
    verbose: bool = True,
) -> int:
    """Create or reconcile the registry's topics; with `check_only`, returns 1 on drift."""
    topics = namespaced(namespace, partitions=partitions)
    say = print if verbose else _silent
    admin = AIOKafkaAdminClient(**admin_access.client_options(), client_id="topics-apply")
    await admin.start()
    drift = 0
    try:
        existing = {
            t["topic"]: t
            for t in await admin.describe_topics([t.name for t in topics])
            if t.get("error_code", 0) == 0
        }
        missing = [t for t in topics if t.name not in existing]
        for topic in missing:
            say(f"  create  {topic.name:<34} partitions={topic.partitions} {topic.configs()}")
        if missing and not check_only:
            await admin.create_topics(
                [NewTopic(t.name, t.partitions, 1, topic_configs=t.configs()) for t in missing]
            )
        for topic in (t for t in topics if t.name in existing):
            drift += await _reconcile(admin, topic, existing[topic.name], check_only, say)
        drift += len(missing)
    finally:
        await admin.close()
    verb = "drifted from" if check_only else "reconciled with"
    say(f"topics: {len(topics)} in the registry; {drift} {verb} it")
    return 1 if check_only and drift else 0


async def delete_namespace(admin_access: KafkaAccess, namespace: str) -> None:
    """Delete a namespace's topics and their ACLs (a finished test environment)."""
    if not namespace:
        raise ValueError("refusing to delete the un-namespaced production topics")
    admin = AIOKafkaAdminClient(**admin_access.client_options(), client_id="topics-delete")
    await admin.start()
    try:
        await admin.delete_topics([t.name for t in namespaced(namespace)])
    finally:
        await admin.close()
    await acls.revoke_namespace(admin_access, namespace)


def _silent(*_: object) -> None:
    pass


async def _reconcile(
    admin: AIOKafkaAdminClient,
    topic: Topic,
    found: dict[str, Any],
    check_only: bool,
    say: Callable[[str], None],
) -> int:
    changes = 0
    partitions = len(found["partitions"])
    if partitions < topic.partitions:
        say(f"  grow    {topic.name:<34} partitions {partitions} -> {topic.partitions}")
        changes += 1
        if not check_only:
            await admin.create_partitions({topic.name: NewPartitions(topic.partitions)})
    resource = ConfigResource(ConfigResourceType.TOPIC, topic.name)
    described = await admin.describe_configs([resource])
    current = {name: value for name, value, *_ in described[0].resources[0][4]}
    wanted = {k: v for k, v in topic.configs().items() if current.get(k) != v}
    if wanted:
        say(f"  config  {topic.name:<34} {wanted}")
        changes += 1
        if not check_only:
            # AlterConfigs replaces a topic's whole override set: always send all of them
            response = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic.name, configs=topic.configs())]
            )
            raise_on_error(response)
    return changes


def raise_on_error(responses: list[Any]) -> None:
    for response in responses:
        for resource in response.to_object()["resources"]:
            if resource["error_code"]:
                raise RuntimeError(
                    f"{resource['resource_name']}: {resource['error_message']} "
                    f"(Kafka error {resource['error_code']})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("CNH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument("--secrets", default=os.environ.get("CNH_SECRETS_ROOT", ".run/secrets"))
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    parser.add_argument("--namespace", default=os.environ.get("CNH_TOPIC_NAMESPACE", ""))
    args = parser.parse_args()
    sys.exit(
        asyncio.run(
            _topics_and_acls(args.bootstrap, Path(args.secrets), args.check, args.namespace)
        )
    )


async def _topics_and_acls(bootstrap: str, secrets: Path, check_only: bool, namespace: str) -> int:
    # a broker still starting (or restarting) is waited for, as a service's start does
    configure_logging("topics", "WARNING", "console")
    as_admin = ServiceSettings(
        service="topics", principal="admin", kafka_bootstrap=bootstrap, secrets_root=str(secrets)
    )
    await Waiter(as_admin, Readiness("topics")).wait(kafka(as_admin))
    admin = acls.admin_access(bootstrap, secrets)
    topics_drift = await apply(admin, check_only, namespace=namespace)
    acls_drift = await acls.apply(admin, secrets, check_only, namespace=namespace)
    return topics_drift or acls_drift


if __name__ == "__main__":
    main()
