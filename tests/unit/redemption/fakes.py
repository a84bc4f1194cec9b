"""The saga's work in memory: each repository a few lines over a dict, holding the state a
use case reads and what it changed (tests look at both)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas import Envelope, Message, envelope
from services.redemption.domain.decide import Entry, Timing
from services.redemption.domain.quotes import QuoteRequest
from services.redemption.domain.state import Saga
from tests.support.work import FakeWork
from tests.unit.redemption.saga_dsl import TIMING


@dataclass
class Outlet:
    """The outbox: what is published lands in the work's `published`; an envelope is
    returned as the real outlet's, so an outcome's record can be kept."""

    work: FakeWork
    republished: list[tuple[str, bytes]] = field(default_factory=list)

    def publish(
        self,
        topic: str,
        key: str | bytes,
        payload: Message,
        *,
        correlation_id: uuid.UUID,
        reply_to: str | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Envelope[Any]:
        self.work.publish(topic, key, payload, reply_to=reply_to, message_id=message_id)
        return envelope(
            payload, producer="redemption", correlation_id=correlation_id,
            causation_id=self.work.message_id, reply_to=reply_to, message_id=message_id,
        )  # fmt: skip

    def republish(self, topic: str, key: str | bytes | None, value: bytes) -> None:
        self.republished.append((topic, value))


@dataclass
class Sagas:
    rows: dict[uuid.UUID, Saga] = field(default_factory=dict)
    outcomes: dict[uuid.UUID, bytes] = field(default_factory=dict)
    signatures: dict[str, uuid.UUID] = field(default_factory=dict)

    async def of(self, redemption_id: uuid.UUID) -> Saga | None:
        return self.rows.get(redemption_id)

    async def insert(self, saga: Saga, signature: str | None) -> bool:
        rid = saga.request.redemption_id
        if rid in self.rows or (signature is not None and signature in self.signatures):
            return False
        self.rows[rid] = saga
        if signature is not None:
            self.signatures[signature] = rid
        return True

    async def exists(self, redemption_id: uuid.UUID) -> bool:
        return redemption_id in self.rows

    async def signed_for(self, signature: str) -> uuid.UUID | None:
        return self.signatures.get(signature)

    async def outcome_of(self, redemption_id: uuid.UUID) -> bytes | None:
        return self.outcomes.get(redemption_id)

    async def due(self, now: dt.datetime, limit: int) -> list[Saga]:
        due = [s for s in self.rows.values() if not s.terminal and s.deadline and s.deadline <= now]
        return sorted(due, key=lambda s: s.deadline or now)[:limit]

    def save(self, saga: Saga, outcome: bytes | None, now: dt.datetime) -> None:
        self.rows[saga.request.redemption_id] = saga
        if outcome is not None:
            self.outcomes[saga.request.redemption_id] = outcome


@dataclass
class StepLog:
    entries: dict[uuid.UUID, list[Entry]] = field(default_factory=dict)

    def record(self, redemption_id: uuid.UUID, entries: Sequence[Entry], now: dt.datetime) -> None:
        self.entries.setdefault(redemption_id, []).extend(entries)

    def events(self, redemption_id: uuid.UUID) -> list[str]:
        return [entry.event for entry in self.entries.get(redemption_id, [])]


@dataclass
class Quotes:
    asked: dict[uuid.UUID, QuoteRequest] = field(default_factory=dict)

    async def get(self, redemption_id: uuid.UUID) -> QuoteRequest | None:
        return self.asked.get(redemption_id)

    async def add(self, request: QuoteRequest) -> bool:
        return self.asked.setdefault(request.redemption_id, request) is request

    async def settle(
        self, request: QuoteRequest, quote_id: uuid.UUID | None, status: str, outcome: bytes,
        expires_at: dt.datetime | None = None,
    ) -> None:  # fmt: skip
        self.asked[request.redemption_id] = dataclasses.replace(
            request, quote_id=quote_id, status=status, outcome=outcome, expires_at=expires_at
        )


@dataclass
class Publications:
    """When each command left the outbox (None: still in it); absent: long ago."""

    at: dict[uuid.UUID, dt.datetime | None] = field(default_factory=dict)

    async def of(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dt.datetime | None]:
        return {i: self.at[i] for i in message_ids if i in self.at}


@dataclass
class Receivers:
    caught_up: bool = True
    """Whether every receiver's position is past what was published."""

    def delivered(self, topic: str, key: str, published_at: dt.datetime | None) -> bool:
        return self.caught_up


@dataclass
class RedemptionFakeWork(FakeWork):
    terms: Timing = TIMING
    causation_id: uuid.UUID | None = None
    sagas: Sagas = field(default_factory=Sagas)
    step_log: StepLog = field(default_factory=StepLog)
    quotes: Quotes = field(default_factory=Quotes)
    publications: Publications = field(default_factory=Publications)
    receivers: Receivers = field(default_factory=Receivers)
    outlet: Outlet = field(init=False)

    def __post_init__(self) -> None:
        self.outlet = Outlet(self)

    def reply(self, to: uuid.UUID | None, redemption_id: uuid.UUID) -> None:
        """The next message is a reply to command `to` of redemption `redemption_id`."""
        self.next_message()
        self.causation_id, self.correlation_id = to, redemption_id

    def next_message(self) -> None:
        self.message_id, self.published, self.causation_id = uuid.uuid4(), [], None
        self.outlet.republished = []
