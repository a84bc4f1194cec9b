"""The broker's principals and ACLs, generated from the registries and reconciled like topics.

    python -m infra.kafka.acls [--check] [--namespace NS]

- Principals (schemas/principals.py): each gets its SCRAM-SHA-512 credential from the run
  folder's secrets; `--check` proves each one can log in with its password.
- ACLs (schemas/topics.py): a topic's writers may WRITE it, its readers and the operator
  may READ it; each service may use its consumer groups (`<service>.<topic>`, prefixed);
  the operator may DESCRIBE them (lag). Nothing else: the broker denies what no ACL allows.
- Reconciling creates missing ACLs and deletes every ACL on the registry's resources that
  the registry does not grant, whoever it names (drift); `--check` changes nothing and
  exits 1 on drift. ACLs on other resources (another namespace) are left alone.

The admin principal, a super user, is the only one that may do this; aiokafka has no ACL
or SCRAM admin API, so this tool speaks through confluent-kafka (librdkafka).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from schemas.principals import OPERATOR, PRINCIPALS, SERVICES, Principal
from schemas.topics import TOPICS, Topic
from services.runtime.access import KafkaAccess, read_secret

Operation = Literal["READ", "WRITE", "DESCRIBE"]
Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefixed"]
SCRAM_ITERATIONS = 8192


@dataclass(frozen=True, order=True, slots=True)
class Grant:
    """One ACL: `principal` may do `operation` on a resource (ALLOW, from any host)."""

    principal: str
    operation: Operation
    resource: Resource
    name: str
    pattern: Pattern = "literal"

    def __str__(self) -> str:
        star = "*" if self.pattern == "prefixed" else ""
        return f"{self.principal:<12} {self.operation:<8} {self.resource} {self.name}{star}"


def group_prefix(namespace: str, service: str) -> str:
    # services/runtime/settings.py: consumer_group is "<namespace>.<service>", and each
    # subscription's group is "<consumer_group>.<topic>"
    return f"{namespace}.{service}." if namespace else f"{service}."


def grants(
    namespace: str = "",
    topics: Sequence[Topic] = TOPICS,
    services: Sequence[str] = SERVICES,
) -> set[Grant]:
    """Every ACL the registry grants, for the topics under `namespace`."""
    wanted: set[Grant] = set()
    for topic in topics:
        name = f"{namespace}.{topic.name}" if namespace else topic.name
        wanted |= {Grant(w, "WRITE", "topic", name) for w in topic.writers}
        wanted |= {Grant(r, "READ", "topic", name) for r in {*topic.readers, OPERATOR}}
    for service in services:
        prefix = group_prefix(namespace, service)
        wanted.add(Grant(service, "READ", "group", prefix, "prefixed"))
        wanted.add(Grant(OPERATOR, "DESCRIBE", "group", prefix, "prefixed"))
    for topic, sender in _command_senders(topics, services):
        group = group_prefix(namespace, topic.owner) + topic.name
        wanted.add(Grant(sender, "DESCRIBE", "group", group))
    return wanted


def _command_senders(topics: Sequence[Topic], services: Sequence[str]) -> list[tuple[Topic, str]]:
    """A service that commands another may see how far the receiver has read its commands
    (the saga waits for a command to arrive rather than re-send it:
    services/redemption/adapters/receivers.py)."""
    return [
        (topic, writer)
        for topic in topics
        if topic.role == "commands"
        for writer in topic.writers
        if writer in services and writer != topic.owner
    ]


def markdown_table(topics: Sequence[Topic] = TOPICS, services: Sequence[str] = SERVICES) -> str:
    """The ACL table docs/ARCHITECTURE.md shows (a unit test holds the two together)."""
    lines = ["| topic | may write | may read |", "|---|---|---|"]
    for topic in topics:
        readers = sorted({*topic.readers, OPERATOR})
        lines.append(f"| {topic.name} | {', '.join(topic.writers)} | {', '.join(readers)} |")
    for service in services:
        prefix = group_prefix("", service)
        lines.append(f"| group `{prefix}*` | - | {service} (joins); {OPERATOR} (describes) |")
    senders: dict[str, list[str]] = {}
    for topic, sender in _command_senders(topics, services):
        senders.setdefault(group_prefix("", topic.owner) + topic.name, []).append(sender)
    for group, who in senders.items():
        lines.append(f"| group `{group}` | - | {', '.join(sorted(who))} (describes) |")
    return "\n".join(lines) + "\n"


def in_scope(grant: Grant, scope: set[tuple[Resource, str]]) -> bool:
    """Whether reconciling owns this ACL: any grant on one of the registry's resources (a
    grant to a principal the registry does not know is drift too: a door left open)."""
    return (grant.resource, grant.name) in scope


# --- the broker ---------------------------------------------------------------------------

_OPERATIONS = {
    "READ": AclOperation.READ,
    "WRITE": AclOperation.WRITE,
    "DESCRIBE": AclOperation.DESCRIBE,
}
_RESOURCES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        _PATTERNS[grant.pattern],
        f"User:{grant.principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def _grant(binding: AclBinding) -> Grant | None:
    """The binding as a Grant, or None if it is nothing this tool writes."""
    reverse_ops = {v: k for k, v in _OPERATIONS.items()}
    reverse_res = {v: k for k, v in _RESOURCES.items()}
    reverse_pat = {v: k for k, v in _PATTERNS.items()}
    if (
        binding.permission_type != AclPermissionType.ALLOW
        or binding.host != "*"
        or binding.operation not in reverse_ops
        or binding.restype not in reverse_res
        or binding.resource_pattern_type not in reverse_pat
        or not binding.principal.startswith("User:")
    ):
        return None
    return Grant(
        binding.principal.removeprefix("User:"),
        reverse_ops[binding.operation],  # type: ignore[arg-type]
        reverse_res[binding.restype],  # type: ignore[arg-type]
        binding.name,
        reverse_pat[binding.resource_pattern_type],  # type: ignore[arg-type]
    )


class BrokerSecurity:
    """The admin's view of the broker's principals and ACLs (blocking calls: use from a
    thread, see the async wrappers below)."""

    def __init__(self, admin: KafkaAccess, timeout_s: float = 30.0) -> None:
        config: dict[str, str | int | float | bool] = {**admin.librdkafka_config()}
        self._client = AdminClient(config | {"client.id": "cnh-acls"})
        self._timeout = timeout_s

    def existing(self) -> set[Grant]:
        anything: Any = None  # a filter's None matches any name, principal and host
        any_filter = AclBindingFilter(
            ResourceType.ANY,
            anything,
            ResourcePatternType.ANY,
            anything,
            anything,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        bindings = self._client.describe_acls(any_filter, request_timeout=self._timeout)
        found = bindings.result(timeout=self._timeout)
        return {g for g in map(_grant, found) if g is not None}

    def create(self, wanted: Iterable[Grant]) -> None:
        batch = [_binding(g) for g in sorted(wanted)]
        if batch:
            _wait(self._client.create_acls(batch, request_timeout=self._timeout), self._timeout)

    def delete(self, extra: Iterable[Grant]) -> None:
        filters = [_filter(g) for g in sorted(extra)]
        if filters:
            _wait(self._client.delete_acls(filters, request_timeout=self._timeout), self._timeout)

    def users(self) -> set[str]:
        described: Any = self._client.describe_user_scram_credentials(request_timeout=self._timeout)
        return set(described.result(timeout=self._timeout))

    def set_passwords(self, passwords: dict[str, str]) -> None:
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        upserts: list[Any] = [
            UserScramCredentialUpsertion(name, info, password.encode())
            for name, password in sorted(passwords.items())
        ]
        if upserts:
            _wait(
                self._client.alter_user_scram_credentials(upserts, request_timeout=self._timeout),
                self._timeout,
            )


def _filter(grant: Grant) -> AclBindingFilter:
    b = _binding(grant)
    return AclBindingFilter(
        b.restype,
        b.name,
        b.resource_pattern_type,
        b.principal,
        b.host,
        b.operation,
        b.permission_type,
    )


def _wait(futures: dict[Any, Any], timeout_s: float) -> None:
    errors = []
    for key, future in futures.items():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as exc:
            errors.append(f"{key}: {exc.args[0]}")
    if errors:
        raise RuntimeError("the broker refused: " + "; ".join(errors[:5]))


# --- reconciling --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    missing: frozenset[Grant]
    extra: frozenset[Grant]

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra)


def plan(wanted: set[Grant], existing: set[Grant]) -> Plan:
    scope = {(g.resource, g.name) for g in wanted}
    owned = {g for g in existing if in_scope(g, scope)}
    return Plan(frozenset(wanted - existing), frozenset(owned - wanted))


async def apply(
    admin: KafkaAccess,
    secrets_root: Path,
    check_only: bool = False,
    *,
    namespace: str = "",
    topics: Sequence[Topic] = TOPICS,
    services: Sequence[str] = SERVICES,
    principals: Sequence[Principal] = PRINCIPALS,
    verbose: bool = True,
) -> int:
    """Reconcile the principals' credentials and the registry's ACLs; with `check_only`,
    change nothing and return 1 on drift (a missing principal, a password that does not
    log in, a missing or extra ACL)."""
    say = print if verbose else (lambda *_: None)
    security = BrokerSecurity(admin)
    passwords = _passwords(secrets_root, principals)
    drift = 0
    users = await asyncio.to_thread(security.users)
    if check_only:
        for name in sorted(set(passwords) - users):
            say(f"  missing principal {name}")
            drift += 1
        drift += await _check_logins(admin, secrets_root, [n for n in passwords if n in users], say)
    else:
        # re-set every password: the run folder is the source of truth (a rotated one
        # takes effect here), and an upsert of an unchanged password is harmless
        await asyncio.to_thread(security.set_passwords, passwords)
    wanted = grants(namespace, topics, services)
    existing = await asyncio.to_thread(security.existing)
    todo = plan(wanted, existing)
    for grant in sorted(todo.missing):
        say(f"  grant   {grant}")
    for grant in sorted(todo.extra):
        say(f"  revoke  {grant}")
    drift += todo.drift
    if not check_only:
        await asyncio.to_thread(security.create, todo.missing)
        await asyncio.to_thread(security.delete, todo.extra)
        await _until_visible(security, wanted)
    verb = "drifted from" if check_only else "reconciled with"
    counts = f"{len(wanted)} grants, {len(passwords)} principals"
    say(f"acls: {counts}; {drift} {verb} the registry")
    return 1 if check_only and drift else 0


def _passwords(secrets_root: Path, principals: Sequence[Principal]) -> dict[str, str]:
    """Each principal's password from its secrets folder (the admin's is set at format)."""
    return {
        p.name: read_secret(secrets_root / p.name / "kafka.password", f"{p.name}'s password")
        for p in principals
        if p.kafka and p.kind != "admin"
    }


async def set_logins(
    admin: KafkaAccess, secrets_root: Path, principals: Sequence[Principal] = PRINCIPALS
) -> None:
    """Give every principal its SCRAM login (infra/kafka/kafka.sh, once the broker is up)."""
    security = BrokerSecurity(admin)
    await asyncio.to_thread(security.set_passwords, _passwords(secrets_root, principals))


async def grant_namespace(admin: KafkaAccess, namespace: str) -> None:
    """Grant the registry's ACLs on a namespace's topics and groups (a test environment:
    the principals exist already)."""
    if not namespace:
        raise ValueError("the production ACLs are reconciled by apply(), not granted")
    security = BrokerSecurity(admin)
    wanted = grants(namespace)
    await asyncio.to_thread(security.create, wanted)
    await _until_visible(security, wanted)


async def revoke_namespace(admin: KafkaAccess, namespace: str) -> None:
    """Delete the ACLs of a namespace's topics and groups (a finished test environment)."""
    if not namespace:
        raise ValueError("refusing to revoke the un-namespaced production ACLs")
    security = BrokerSecurity(admin)
    await asyncio.to_thread(security.delete, grants(namespace))


async def _until_visible(security: BrokerSecurity, wanted: set[Grant]) -> None:
    # created ACLs are committed to the metadata log before the broker applies them
    for _ in range(100):
        if wanted <= await asyncio.to_thread(security.existing):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("ACLs not visible on the broker 5 s after they were created")


async def _check_logins(admin: KafkaAccess, secrets_root: Path, names: list[str], say: Any) -> int:
    from aiokafka.admin import AIOKafkaAdminClient

    failed = 0
    for name in sorted(names):
        access = admin.as_principal(name, secrets_root / name)
        client = AIOKafkaAdminClient(**access.client_options(), request_timeout_ms=10_000)
        try:
            await client.start()
        except Exception:
            say(f"  login   {name}: its password in {secrets_root / name} does not log in")
            failed += 1
        finally:
            await client.close()
    return failed


def admin_access(bootstrap: str, secrets_root: Path) -> KafkaAccess:
    return KafkaAccess.from_folder(bootstrap, "admin", secrets_root / "admin")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--bootstrap", default=os.environ.get("CNH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument("--secrets", default=os.environ.get("CNH_SECRETS_ROOT", ".run/secrets"))
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    parser.add_argument("--namespace", default=os.environ.get("CNH_TOPIC_NAMESPACE", ""))
    parser.add_argument("--list", action="store_true", help="print the registry's ACL table")
    parser.add_argument("--markdown", action="store_true", help="the table for the docs")
    parser.add_argument(
        "--principals", action="store_true", help="only set every principal's SCRAM login"
    )
    args = parser.parse_args()
    if args.list:
        for grant in sorted(grants(args.namespace)):
            print(grant)
        return
    if args.markdown:
        print(markdown_table(), end="")
        return
    root = Path(args.secrets)
    if args.principals:
        asyncio.run(set_logins(admin_access(args.bootstrap, root), root))
        return
    sys.exit(
        asyncio.run(
            apply(admin_access(args.bootstrap, root), root, args.check, namespace=args.namespace)
        )
    )


if __name__ == "__main__":
    main()
