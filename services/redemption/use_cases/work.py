"""The work the saga's use cases do their work through: the sagas and their step log, the
quote requests, the outbox's record of what reached the broker, the receivers' positions,
the clock, the terms (the saga's `Timing`), and the outlet its messages go out by.

The saga publishes through `work.outlet` (runtime/publisher.py `Outlet`), not
`work.publish`: every message it sends is correlated by the redemption, whatever the message
that caused it, and an outcome's record is kept to answer a repeated request byte for byte.
A handler's work and the watchdog's work (no message: a deadline) both have one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Protocol

from services.redemption.domain.decide import Entry, Timing
from services.redemption.domain.quotes import QuoteRequest
from services.redemption.domain.state import Saga
from services.runtime.publisher import Outlet
from services.runtime.work import UseCaseWork


class Sagas(Protocol):
    async def of(self, redemption_id: uuid.UUID) -> Saga | None:
        """The saga, locked: this transaction's latest state of it."""

    async def insert(self, saga: Saga, signature: str | None) -> bool:
        """Store a new saga claiming `signature` (None: none); False when the redemption
        exists already or another one claimed the signature meanwhile."""

    async def exists(self, redemption_id: uuid.UUID) -> bool: ...
    async def signed_for(self, signature: str) -> uuid.UUID | None: ...
    async def outcome_of(self, redemption_id: uuid.UUID) -> bytes | None: ...
    async def due(self, now: dt.datetime, limit: int) -> list[Saga]:
        """Running sagas whose deadline passed, locked (replicas skip each other's)."""

    def save(self, saga: Saga, outcome: bytes | None, now: dt.datetime) -> None: ...


class StepLog(Protocol):
    def record(
        self, redemption_id: uuid.UUID, entries: Sequence[Entry], now: dt.datetime
    ) -> None: ...


class Quotes(Protocol):
    async def get(self, redemption_id: uuid.UUID) -> QuoteRequest | None: ...
    async def add(self, request: QuoteRequest) -> bool: ...
    async def settle(
        self, request: QuoteRequest, quote_id: uuid.UUID | None, status: str, outcome: bytes,
        expires_at: dt.datetime | None = None,
    ) -> None: ...  # fmt: skip


class Publications(Protocol):
    async def of(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dt.datetime | None]:
        """When each command was first published; None while every copy of it is still in
        the outbox; absent: published long ago (its rows pruned)."""


class Receivers(Protocol):
    def delivered(self, topic: str, key: str, published_at: dt.datetime | None) -> bool:
        """Whether the command on logical `topic` with `key`, published at `published_at`,
        has reached its receiver (adapters/receivers.py)."""


class SagaWork(Protocol):
    """What carrying out a decision needs, in a handler or in the watchdog."""

    @property
    def terms(self) -> Timing:
        """The saga's patience: its deadlines, re-sends, queries (CNH_REDEMPTION_*)."""

    @property
    def outlet(self) -> Outlet: ...
    @property
    def sagas(self) -> Sagas: ...
    @property
    def step_log(self) -> StepLog: ...

    def now(self) -> dt.datetime: ...


class RedemptionWork(SagaWork, UseCaseWork, Protocol):
    """One message's work: a request from the wallet gateway or a reply to the saga."""

    @property
    def appended_at(self) -> dt.datetime | None:
        """When the broker appended the message (redemption.requests is stamped on arrival)."""

    @property
    def causation_id(self) -> uuid.UUID | None:
        """The command a reply answers."""

    @property
    def quotes(self) -> Quotes: ...


class WatchdogWork(SagaWork, Protocol):
    """One sweep of the watchdog over the sagas whose deadline passed."""

    @property
    def publications(self) -> Publications: ...
    @property
    def receivers(self) -> Receivers: ...
