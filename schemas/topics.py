"""The topic registry: the one declarative definition of every topic.

`make topics` creates exactly these on the broker (infra/kafka/topics.py); services and
tests take names from here, never from string literals of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from schemas.principals import OPERATOR, SERVICES
from schemas.runtime import DEAD_LETTER_MAX_BYTES

Role = Literal["ingress", "commands", "events", "replies", "dead_letters"]
Cleanup = Literal["delete", "compact"]

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    owner: str
    """The service that consumes it (ingress, commands, replies)
    or writes it (events, dead letters)."""
    role: Role
    key: str
    """What the record key is: per-key order is per aggregate."""
    writers: tuple[str, ...] = ()
    """The principals that may write it (schemas/principals.py): the ACLs grant them and
    nobody else. A message on it is trusted exactly as far as these writers are."""
    readers: tuple[str, ...] = ()
    """The principals that may read it, besides the operator (who reads every topic)."""
    partitions: int = 8
    retention_ms: int = 7 * DAY_MS
    cleanup_policy: Cleanup = "delete"
    max_message_bytes: int = 1024 * 1024
    stamped_on_arrival: bool = False
    """The broker stamps each record with the time it appended it (LogAppendTime), replacing
    the producer's clock: the platform's own, trustworthy record of when a request arrived
    (a redeem request accepted before its quote expired is honoured however long the
    platform then takes)."""
    personal: bool = False
    """Its messages carry personal data (sealed to the owner): a dead letter of one keeps a
    digest of the record, never the record, so personal data is not copied to a topic the
    operator reads (services/runtime/consumer.py)."""

    def configs(self) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            "max.message.bytes": str(self.max_message_bytes),
            "message.timestamp.type": "LogAppendTime" if self.stamped_on_arrival else "CreateTime",
        }


def _dead_letters(service: str) -> Topic:
    # Dead letters wait for an operator: kept for 30 days, replayable. They carry a whole
    # rejected record as base64, so they may be bigger than any record they describe.
    return Topic(
        f"{service}.dlq",
        service,
        "dead_letters",
        "original key",
        writers=(service,),
        readers=(OPERATOR,),
        partitions=2,
        retention_ms=30 * DAY_MS,
        max_message_bytes=DEAD_LETTER_MAX_BYTES + 64 * 1024,
    )


# Replies to the saga's commands come from every service it commands.
_SAGA_PARTICIPANTS = ("kyc", "issuance", "fx", "settlement")
# The dead-letter replay (make dlq-replay) puts a rejected record back where it came from,
# so the operator writes every topic a service consumes (docs/OPERATIONS.md: its
# credentials are as sensitive as a service's).
_REPLAY = (OPERATOR,)

TOPICS: tuple[Topic, ...] = (
    Topic(
        "kyc.applications",
        "kyc",
        "ingress",
        "customer id",
        writers=("onboarding", *_REPLAY),
        readers=("kyc",),
        personal=True,
    ),
    Topic(
        "kyc.commands",
        "kyc",
        "commands",
        "customer id",
        writers=("redemption", *_REPLAY),
        readers=("kyc",),
    ),
    Topic(
        "kyc.events",
        "kyc",
        "events",
        "customer id",
        writers=("kyc",),
        readers=("issuance", "settlement", "onboarding"),
    ),
    # the bank's answers to KYC's account checks (settlement asks the bank for it)
    Topic(
        "kyc.replies",
        "kyc",
        "replies",
        "account id",
        writers=("settlement", *_REPLAY),
        readers=("kyc",),
    ),
    Topic(
        "issuance.commands",
        "issuance",
        "commands",
        "wallet id",
        writers=("redemption", *_REPLAY),
        readers=("issuance",),
    ),
    # mints apart from the saga's commands: settlement alone may ask for one
    Topic(
        "issuance.mints",
        "issuance",
        "commands",
        "mints (every mint: one partition)",
        writers=("settlement", *_REPLAY),
        readers=("issuance",),
    ),
    Topic(
        "issuance.events",
        "issuance",
        "events",
        "wallet id",
        writers=("issuance",),
        readers=("settlement",),
    ),
    Topic(
        "fx.rates",
        "fx",
        "ingress",
        "currency pair",
        partitions=2,
        writers=("market-data", *_REPLAY),
        readers=("fx",),
    ),
    Topic(
        "fx.commands",
        "fx",
        "commands",
        "redemption id",
        writers=("redemption", *_REPLAY),
        readers=("fx",),
    ),
    Topic("fx.events", "fx", "events", "redemption id", writers=("fx",)),
    Topic(
        "settlement.bank-notifications",
        "settlement",
        "ingress",
        "bank reference",
        writers=("bank", *_REPLAY),
        readers=("settlement",),
        personal=True,
    ),
    Topic(
        "settlement.commands",
        "settlement",
        "commands",
        "redemption id",
        writers=("redemption", *_REPLAY),
        readers=("settlement",),
    ),
    # KYC's first-party account checks: the account sealed to settlement, which asks the bank
    # and keeps the account on file for payouts
    Topic(
        "settlement.account-checks",
        "settlement",
        "commands",
        "account id",
        writers=("kyc", *_REPLAY),
        readers=("settlement",),
        personal=True,
    ),
    Topic(
        "settlement.replies",
        "settlement",
        "replies",
        "deposit id",
        writers=("issuance", *_REPLAY),
        readers=("settlement",),
    ),
    Topic(
        "settlement.events",
        "settlement",
        "events",
        "account or redemption id",
        writers=("settlement",),
        readers=("issuance",),
    ),
    Topic(
        "redemption.requests",
        "redemption",
        "ingress",
        "redemption id",
        writers=("gateway", *_REPLAY),
        readers=("redemption",),
        stamped_on_arrival=True,
    ),
    Topic(
        "redemption.replies",
        "redemption",
        "replies",
        "redemption id",
        writers=(*_SAGA_PARTICIPANTS, *_REPLAY),
        readers=("redemption",),
    ),
    Topic(
        "redemption.events",
        "redemption",
        "events",
        "redemption id",
        writers=("redemption",),
        readers=("gateway",),
    ),
    *(_dead_letters(service) for service in SERVICES),
)

BY_NAME: dict[str, Topic] = {topic.name: topic for topic in TOPICS}


def topic(name: str) -> Topic:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not in the topic registry (schemas/topics.py)") from None


def is_reply_topic(name: str) -> bool:
    """Whether the logical name `name` is a registered reply topic."""
    known = BY_NAME.get(name)
    return known is not None and known.role == "replies"


def reply_topics(namespace: str = "") -> frozenset[str]:
    """The broker names of the reply topics under `namespace`: the only topics a `reply_to`
    may name there (a reply is written wherever it points)."""
    return frozenset(t.name for t in namespaced(namespace) if t.role == "replies")


def namespaced(namespace: str, *, partitions: int | None = None) -> tuple[Topic, ...]:
    """The registry under a namespace ("<namespace>.<name>"), as isolated test environments
    use it; `partitions` overrides every partition count (tests need few)."""
    if not namespace:
        return TOPICS
    return tuple(
        replace(t, name=f"{namespace}.{t.name}", partitions=partitions or t.partitions)
        for t in TOPICS
    )
