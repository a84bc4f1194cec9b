"""Applies a batch of records exactly once: one transaction, inbox and outbox inside it.

The caller commits the Kafka offsets only after `process` returns, i.e. after the database
commit. `process` returns only when every record is applied, replayed as a duplicate, or
dead-lettered: a bad record never blocks the records behind it, and no record is dropped.

A record's `reply_to` must be a registered reply topic of the service's environment
(schemas/topics.py, namespaced): the runtime writes a reply wherever it points, and a reply
to a topic that does not exist could never be published. A record naming another address is
bad input: dead-lettered as `invalid_reply_to`, never applied, its sender not told.

Failures, by their kind (the retry contract: services/runtime/retry.py):
- the database unreachable, or a transient error (a neighbour's data not there yet, a lost
  race): the batch is retried with backoff for as long as it lasts, never dead-lettered;
- a permanent error: each record alone, and the one that fails is dead-lettered at once with
  its reason;
- a defect (anything else): the batch is retried a few times, then each record alone; a
  record that still fails is dead-lettered as `retries_exhausted`.
A dead-lettered record's sender (if known) gets a typed rejection with the same reason.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tenacity import AsyncRetrying

from schemas import Codec, DeadLetter, DecodeError, Envelope, Rejected, derive_id, envelope
from schemas.envelope import MAX_DETAIL_CHARS
from schemas.ids import without_nul
from schemas.runtime import (
    DEAD_LETTER_HEADER_CHARS,
    DEAD_LETTER_KEY_CHARS,
    DEAD_LETTER_MAX_BYTES,
    DEAD_LETTER_VALUE_CHARS,
    RecordHeader,
    utc_now,
)
from schemas.sealed import digest
from schemas.topics import reply_topics
from services.runtime import inbox
from services.runtime.db import Pool
from services.runtime.errors import describe
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.logging import get_logger, message_context
from services.runtime.records import Record
from services.runtime.retry import RetryLog, kind_of, permanent, retrying
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)

INVALID_REPLY_TO = "invalid_reply_to"


@dataclass(frozen=True, slots=True)
class _Sender:
    message_id: uuid.UUID
    correlation_id: uuid.UUID
    reply_to: str | None
    type: str


@dataclass(frozen=True, slots=True)
class _Item:
    record: Record
    env: Envelope[Any] | None
    error: DecodeError | None
    sender: _Sender | None
    """Who sent the record, as far as it can be told (salvaged from a bad one)."""

    @property
    def inbox_id(self) -> uuid.UUID:
        return self.sender.message_id if self.sender else self.record.position_id


class _Tries:
    """Which failures of one batch are tried again: an outage and a transient error for as
    long as they last, a defect up to `defect_attempts` times, a permanent error never."""

    def __init__(self, defect_attempts: int) -> None:
        self._defect_attempts = defect_attempts
        self._defects = 0
        self.attempts = 0

    def again(self, exc: BaseException) -> bool:
        self.attempts += 1
        kind = kind_of(exc)
        if kind == "defect":
            self._defects += 1
            return self._defects < self._defect_attempts
        return kind != "permanent"


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    detail: str
    attempts: int


class BatchProcessor:
    def __init__(self, settings: ServiceSettings, pool: Pool, subscription: Subscription) -> None:
        self._settings = settings
        self._pool = pool
        self._subscription = subscription
        self._codec = Codec(subscription.accepts.keys())
        self._dead_letters = settings.topic(settings.dead_letter_topic)
        self._reply_topics = reply_topics(settings.topic_namespace)
        self._throughput = _Throughput(subscription.name, settings.throughput_log_interval_s)

    async def process(self, records: Sequence[Record]) -> None:
        started = time.monotonic()
        items = [self._decode(record) for record in records]
        if items:
            await self._apply_with_retries(items)
        self._throughput.batch_done(len(items), time.monotonic() - started)

    def _decode(self, record: Record) -> _Item:
        try:
            env = self._codec.decode(record.value)
        except DecodeError as error:
            return self._addressed(_Item(record, None, error, _salvaged_sender(error)))
        sender = _Sender(env.message_id, env.correlation_id, env.reply_to, env.type)
        return self._addressed(_Item(record, env, None, sender))

    def _addressed(self, item: _Item) -> _Item:
        """`item`, or, when its reply_to is not one of this environment's reply topics, the
        same as bad input that no one can be told about (no valid address)."""
        sender = item.sender
        if sender is None or sender.reply_to is None or sender.reply_to in self._reply_topics:
            return item
        return replace(
            item, error=_invalid_reply_to(item.error), sender=replace(sender, reply_to=None)
        )

    async def _apply_with_retries(self, items: list[_Item]) -> None:
        settings = self._settings
        tries = _Tries(settings.retry_max_attempts)
        retry_log = RetryLog(
            "batch", settings.retry_log_interval_s,
            subscription=self._subscription.name, records=len(items),
        )  # fmt: skip
        try:
            async for attempt in self._retrying(tries.again, retry_log):
                with attempt:
                    await self._apply_once(items, failure=None)
        except Exception as exc:
            if len(items) > 1:
                # the batch does not say which record failed: each alone finds it
                log.warning(
                    "batch failed; applying its records one by one",
                    subscription=self._subscription.name,
                    records=len(items),
                    error=describe(exc),
                )
                for item in items:
                    await self._apply_with_retries([item])
                return
            doomed = permanent(exc)
            failure = (
                _Failure(doomed.reason, doomed.detail, tries.attempts)
                if doomed is not None
                else _Failure("retries_exhausted", describe(exc), tries.attempts)
            )
            log.error("record cannot be applied; dead-lettering it", error=failure.reason)
            await self._dead_letter_alone(items[0], failure)
            return
        retry_log.ended()

    async def _dead_letter_alone(self, item: _Item, failure: _Failure) -> None:
        # Writing a dead letter only fails when the database does: wait for it.
        retry_log = RetryLog(
            "writing a dead letter", self._settings.retry_log_interval_s,
            subscription=self._subscription.name,
        )  # fmt: skip
        async for attempt in self._retrying(lambda exc: True, retry_log):
            with attempt:
                await self._apply_once([item], failure=failure)
        retry_log.ended()

    def _retrying(
        self, again: Callable[[BaseException], bool], retry_log: RetryLog
    ) -> AsyncRetrying:
        settings = self._settings
        return retrying(
            settings.retry_initial_backoff_s, settings.retry_max_backoff_s, again, retry_log.failed
        )

    async def _apply_once(self, items: list[_Item], failure: _Failure | None) -> None:
        consumer = self._subscription.name
        async with UnitOfWork(self._pool) as uow:
            done = await inbox.find_processed(uow.connection, consumer, (i.inbox_id for i in items))
            prepare = self._subscription.prepare
            if prepare is not None and failure is None:
                fresh = [
                    i.env
                    for i in items
                    if i.env is not None and i.error is None and i.inbox_id not in done
                ]
                if fresh:
                    await prepare(uow, fresh)
            entries: dict[uuid.UUID, inbox.InboxEntry | None] = {}
            for item in items:
                with message_context(
                    message_id=item.inbox_id,
                    correlation_id=item.env.correlation_id if item.env else None,
                    type=item.env.type if item.env else None,
                ):
                    if item.inbox_id in done:
                        self._replay(uow, item, done[item.inbox_id])
                        continue
                    if item.inbox_id in entries:  # a copy in this very batch
                        entry = entries[item.inbox_id]
                        self._replay(uow, item, entry.reply if entry else None)
                        continue
                    if failure is not None or item.error is not None:
                        entries[item.inbox_id] = self._dead_letter(uow, item, failure)
                    else:
                        entries[item.inbox_id] = await self._handle(uow, item)
            inbox.record(uow, consumer, [e for e in entries.values() if e])
            await uow.commit()

    async def _handle(self, uow: UnitOfWork, item: _Item) -> inbox.InboxEntry:
        env = item.env
        assert env is not None
        handler = self._subscription.handler_for(env.payload)
        ctx = HandlerContext.within(
            uow,
            env,
            self._settings.service,
            self._settings.topic,
            appended_at=item.record.appended_at,
        )
        reply_payload = await handler(ctx, env.payload)
        if reply_payload is None:
            return inbox.InboxEntry(env.message_id, env.type, env.correlation_id, "applied")
        if env.reply_to is None:
            log.warning(
                "handler replied to a message that has no reply_to; reply dropped",
                reply_type=reply_payload.TYPE,
            )
            return inbox.InboxEntry(env.message_id, env.type, env.correlation_id, "applied")
        reply = envelope(
            reply_payload,
            producer=self._settings.service,
            correlation_id=env.correlation_id,
            causation_id=env.message_id,
            message_id=derive_id(env.message_id, "reply"),
        )
        stored = inbox.StoredReply(env.reply_to, str(env.correlation_id).encode(), reply.to_bytes())
        self._send_reply(uow, stored, reply)
        return inbox.InboxEntry(env.message_id, env.type, env.correlation_id, "replied", stored)

    def _replay(self, uow: UnitOfWork, item: _Item, stored: inbox.StoredReply | None) -> None:
        log.info("duplicate message; no second effect", replayed_reply=stored is not None)
        if stored is not None:
            self._send_reply(uow, stored)

    def _send_reply(
        self, uow: UnitOfWork, stored: inbox.StoredReply, env: Envelope[Any] | None = None
    ) -> None:
        """The one way a reply reaches the outbox: only to a registered reply topic."""
        if stored.topic not in self._reply_topics:
            # only a reply stored before addresses were checked can get here
            log.warning("stored reply addressed to an unregistered topic; not sent again")
            return
        uow.outbox.add_encoded(stored.topic, stored.key, stored.value, env)

    def _dead_letter(
        self, uow: UnitOfWork, item: _Item, failure: _Failure | None
    ) -> inbox.InboxEntry | None:
        record = item.record
        reason = failure.reason if failure else item.error.reason if item.error else "unknown"
        # an exception's words may quote a value, a NUL included (never allowed in Text)
        detail = without_nul(failure.detail if failure else item.error.detail if item.error else "")
        letter = _dead_letter_of(
            record,
            service=self._settings.service,
            consumer_group=self._settings.consumer_group,
            reason=reason,
            detail=detail,
            attempts=failure.attempts if failure else 1,
            sensitive=self._subscription.sensitive
            or (item.error is not None and self._subscription.from_outside),
        )
        sender = item.sender
        correlation_id = sender.correlation_id if sender else record.position_id
        uow.outbox.add(
            self._dead_letters,
            record.key,
            envelope(
                letter,
                producer=self._settings.service,
                correlation_id=correlation_id,
                causation_id=sender.message_id if sender else None,
                message_id=derive_id(item.inbox_id, "dead_letter"),
            ),
            max_bytes=DEAD_LETTER_MAX_BYTES,
        )
        log.warning(
            "dead-lettered",
            reason=reason,
            detail=detail,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        if sender is None or sender.reply_to is None:
            return None  # nobody to tell: not recorded, so a replay after a fix applies it
        rejection = envelope(
            Rejected(reason=reason, detail=detail, rejected_message_id=str(sender.message_id)),
            producer=self._settings.service,
            correlation_id=sender.correlation_id,
            causation_id=sender.message_id,
            message_id=derive_id(sender.message_id, "reply"),
        )
        stored = inbox.StoredReply(
            sender.reply_to, str(sender.correlation_id).encode(), rejection.to_bytes()
        )
        self._send_reply(uow, stored, rejection)
        # the sender was told "rejected": a replay must give the same answer, not apply it
        return inbox.InboxEntry(
            sender.message_id, sender.type, sender.correlation_id, "dead_lettered", stored
        )


class _Throughput:
    """Logs, every interval, how much a subscription consumed and how long its batches took:
    where a backlog builds up is read off these lines (busy near 100 % = the bottleneck)."""

    def __init__(self, subscription: str, interval_s: float) -> None:
        self._subscription = subscription
        self._interval_s = interval_s
        self._reset(time.monotonic())

    def _reset(self, now: float) -> None:
        self._since = now
        self._batches = self._records = 0
        self._busy_s = self._slowest_s = 0.0

    def batch_done(self, records: int, seconds: float) -> None:
        self._batches += 1
        self._records += records
        self._busy_s += seconds
        self._slowest_s = max(self._slowest_s, seconds)
        now = time.monotonic()
        if self._interval_s <= 0 or now - self._since < self._interval_s:
            return
        elapsed = now - self._since
        log.info(
            "consumed",
            subscription=self._subscription,
            records_per_s=round(self._records / elapsed, 1),
            batches=self._batches,
            mean_batch=round(self._records / self._batches, 1),
            busy_percent=round(100 * self._busy_s / elapsed),
            slowest_batch_ms=round(1000 * self._slowest_s),
        )
        self._reset(now)


def _invalid_reply_to(cause: DecodeError | None) -> DecodeError:
    """The failure of a record whose reply_to names no reply topic; a record that is bad in
    another way too keeps that reason in the detail (a replay needs both fixed). The address
    itself is not quoted: it is the sender's text."""
    detail = "reply_to is not a registered reply topic here; the sender was not told"
    if cause is not None:
        detail = f"{detail}; also {cause.reason}: {cause.detail}"
    return DecodeError(INVALID_REPLY_TO, detail[:MAX_DETAIL_CHARS])


def _salvaged_sender(error: DecodeError) -> _Sender | None:
    header = error.header
    if not header.get("message_id"):
        return None
    message_id = uuid.UUID(header["message_id"])
    correlation = header.get("correlation_id")
    return _Sender(
        message_id,
        uuid.UUID(correlation) if correlation else message_id,
        header.get("reply_to"),
        str(header.get("type") or "unknown")[:100],
    )


def _dead_letter_of(
    record: Record,
    *,
    service: str,
    consumer_group: str,
    reason: str,
    detail: str,
    attempts: int,
    sensitive: bool = False,
) -> DeadLetter:
    key, key_cut = _b64_within(record.key, DEAD_LETTER_KEY_CHARS)
    headers: list[RecordHeader] = []
    headers_cut = False
    value_digest = None
    if sensitive:
        # personal data must not be copied to another topic, in any encoding: a digest
        # identifies the record, which stays at its source offset for a replay
        value, value_cut = None, False
        value_digest = digest(record.value or b"")
    else:
        value, value_cut = _b64_within(record.value, DEAD_LETTER_VALUE_CHARS)
        headers_cut = len(record.headers) > _MAX_HEADERS
        for name, raw in record.headers[:_MAX_HEADERS]:
            encoded, cut = _b64_within(raw, DEAD_LETTER_HEADER_CHARS)
            headers.append(RecordHeader(key=without_nul(name[:256]), value_b64=encoded or ""))
            headers_cut = headers_cut or cut or len(name) > 256
    return DeadLetter(
        service=service,
        consumer_group=consumer_group,
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        key_b64=key,
        value_b64=value,
        value_size=len(record.value or b""),
        value_digest=value_digest,
        truncated=key_cut or value_cut or headers_cut,
        headers=tuple(headers),
        reason=reason,
        detail=detail[:2_000],
        attempts=attempts,
        failed_at=utc_now(),
    )


_MAX_HEADERS = 64


def _b64_within(data: bytes | None, max_chars: int) -> tuple[str | None, bool]:
    """base64 of `data`, cut to at most `max_chars` (on a 4-character boundary)."""
    if data is None:
        return None, False
    fits = (max_chars // 4) * 3
    return base64.b64encode(data[:fits]).decode(), len(data) > fits
