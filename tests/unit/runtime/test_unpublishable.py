"""No record can stop a service, the pure parts: which reply addresses the runtime writes to,
which broker failures park an outbox row, and what one relay attempt settles. No servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

import pytest
from aiokafka.errors import (
    InvalidTopicError,
    KafkaConnectionError,
    KafkaTimeoutError,
    LeaderNotAvailableError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    RecordListTooLargeError,
    RequestTimedOutError,
    TopicAuthorizationFailedError,
    UnknownProducerId,
    UnknownTopicOrPartitionError,
)

from schemas import envelope, record_headers
from schemas.topics import is_reply_topic, reply_topics
from services.runtime import relay as relay_module
from services.runtime.consumer import INVALID_REPLY_TO, BatchProcessor
from services.runtime.db import Pool
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.outbox import OutboxWriter, key_digest
from services.runtime.publisher import Publisher
from services.runtime.records import Record
from services.runtime.refusals import (
    INVALID_TOPIC,
    RECORD_TOO_LARGE,
    TOPIC_AUTHORIZATION_FAILED,
    UNKNOWN_TOPIC,
    Refusal,
    asks_about_topic,
    breaks_producer,
    permanent_refusal,
    topic_refusal,
)
from services.runtime.relay import FAILED, PUBLISHED, Parked, Relay, RowOutcome, settled
from services.runtime.settings import ServiceSettings
from tests.support.counter.contracts import Add

# --- reply addresses -----------------------------------------------------------------------


def test_the_reply_topics_are_the_registry_s_replies_role_in_the_namespace() -> None:
    assert reply_topics() == {"redemption.replies", "settlement.replies", "kyc.replies"}
    assert reply_topics("t1") == {
        "t1.redemption.replies",
        "t1.settlement.replies",
        "t1.kyc.replies",
    }
    assert is_reply_topic("settlement.replies")
    assert not is_reply_topic("settlement.events")
    assert not is_reply_topic("no.such.topic")


def _processor(namespace: str = "t1") -> BatchProcessor:
    commands = Subscription("kyc.commands")

    @commands.handles(Add)
    async def add(ctx: HandlerContext[Add], command: Add) -> None:
        return None

    settings = ServiceSettings(service="kyc", topic_namespace=namespace)
    # decoding needs no database: the pool is never touched
    return BatchProcessor(settings, cast(Pool, None), commands)


def _record(value: bytes) -> Record:
    return Record("t1.kyc.commands", 0, 7, b"acct", value)


def _command(reply_to: str | None) -> bytes:
    env = envelope(
        Add(account="acct", amount=1),
        producer="test",
        correlation_id=uuid.uuid4(),
        reply_to=reply_to,
    )
    return env.to_bytes()


@pytest.mark.parametrize("reply_to", ["t1.redemption.replies", "t1.settlement.replies", None])
def test_a_registered_reply_address_or_none_is_kept(reply_to: str | None) -> None:
    item = _processor()._decode(_record(_command(reply_to)))
    assert item.error is None
    assert item.sender is not None
    assert item.sender.reply_to == reply_to


@pytest.mark.parametrize(
    "reply_to",
    [
        "t1.no-such-topic",
        "t1.settlement.events",  # a registered topic, but not a reply topic
        "redemption.replies",  # a reply topic of another environment
        "t2.redemption.replies",
    ],
)
def test_any_other_reply_address_makes_the_record_bad_input_whose_sender_is_not_told(
    reply_to: str,
) -> None:
    item = _processor()._decode(_record(_command(reply_to)))
    assert item.error is not None
    assert item.error.reason == INVALID_REPLY_TO
    assert item.sender is not None
    assert item.sender.reply_to is None
    assert reply_to not in item.error.detail, "the sender's text is not quoted"


def test_an_invalid_record_with_a_bad_address_keeps_both_reasons() -> None:
    document = _command("t1.no-such-topic").replace(b'"amount":1', b'"amount":"one"')
    item = _processor()._decode(_record(document))
    assert item.error is not None
    assert item.error.reason == INVALID_REPLY_TO
    assert "also invalid_payload" in item.error.detail
    assert item.sender is not None
    assert item.sender.reply_to is None


def test_the_runtime_publisher_refuses_a_reply_address_that_is_not_a_reply_topic() -> None:
    outbox = OutboxWriter(cast(Any, None))
    publisher = Publisher(outbox, producer="kyc", topic_name=lambda name: f"t1.{name}")
    payload = Add(account="acct", amount=1)
    with pytest.raises(ValueError, match="not a reply topic"):
        publisher.publish("kyc.commands", "k", payload, correlation_id=uuid.uuid4(), reply_to="x")
    env = publisher.publish(
        "kyc.commands", "k", payload, correlation_id=uuid.uuid4(), reply_to="redemption.replies"
    )
    assert env.reply_to == "t1.redemption.replies"
    assert ("reply_to", b"t1.redemption.replies") in record_headers(env)


# --- permanent and transient broker failures -----------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (MessageSizeTooLargeError("The message is 3000000 bytes"), RECORD_TOO_LARGE),
        (InvalidTopicError(), INVALID_TOPIC),
        (TopicAuthorizationFailedError("settlement.events"), TOPIC_AUTHORIZATION_FAILED),
    ],
)
def test_a_refusal_of_the_row_itself_is_permanent(error: Exception, reason: str) -> None:
    refusal = permanent_refusal(error)
    assert refusal is not None
    assert refusal.reason == reason
    assert refusal.detail.startswith(type(error).__name__)


@pytest.mark.parametrize(
    "error",
    [
        KafkaConnectionError(),  # broker down
        RequestTimedOutError(),
        NotLeaderForPartitionError(),  # a partition moving
        LeaderNotAvailableError(),  # a topic being created
        KafkaTimeoutError(),
        TimeoutError(),
        UnknownTopicOrPartitionError(),  # also what a metadata wait with no broker ends in
        RecordListTooLargeError(),  # a whole producer batch: not one row's fault
        RuntimeError("something no one foresaw"),
    ],
)
def test_everything_else_is_transient(error: Exception) -> None:
    assert permanent_refusal(error) is None


@pytest.mark.parametrize(
    ("error", "ask"),
    [
        (UnknownTopicOrPartitionError(), True),
        (KafkaTimeoutError(), True),
        (TimeoutError(), True),
        (KafkaConnectionError(), False),
        (NotLeaderForPartitionError(), False),
    ],
)
def test_only_the_broker_can_tell_a_missing_topic_from_a_missing_broker(
    error: Exception, ask: bool
) -> None:
    assert asks_about_topic(error) is ask


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (0, None),
        (UnknownTopicOrPartitionError.errno, UNKNOWN_TOPIC),
        (InvalidTopicError.errno, INVALID_TOPIC),
        (TopicAuthorizationFailedError.errno, TOPIC_AUTHORIZATION_FAILED),
        (LeaderNotAvailableError.errno, None),  # being created: send it
        (RequestTimedOutError.errno, None),
    ],
)
def test_the_broker_s_answer_about_a_topic(code: int, reason: str | None) -> None:
    refusal = topic_refusal(code)
    assert (refusal.reason if refusal else None) == reason


# --- what one relay attempt settles --------------------------------------------------------


def _rows(count: int) -> list[dict[str, Any]]:
    return [{"id": n, "topic": "t", "key": f"k{n % 2}".encode()} for n in range(1, count + 1)]


MISSING = Refusal(UNKNOWN_TOPIC, "the broker answers UNKNOWN_TOPIC_OR_PARTITION")


def test_a_parked_row_does_not_hold_back_the_rows_behind_it() -> None:
    outcomes: list[RowOutcome] = [PUBLISHED, MISSING, PUBLISHED, PUBLISHED]
    outcome = settled(_rows(4), outcomes)
    assert outcome.published == [1, 3, 4]
    assert outcome.parked == [Parked(2, "t", key_digest(b"k0"), MISSING)]


def test_nothing_after_a_row_that_failed_for_now_is_settled() -> None:
    outcomes: list[RowOutcome] = [PUBLISHED, MISSING, FAILED, PUBLISHED]
    outcome = settled(_rows(4), outcomes)
    assert (outcome.published, [p.id for p in outcome.parked]) == ([1], [2])
    assert settled(_rows(2), [FAILED, PUBLISHED]).published == []


def test_a_key_digest_names_a_key_without_showing_it() -> None:
    assert key_digest(b"customer-42") == key_digest(b"customer-42")
    assert key_digest(b"customer-42") != key_digest(b"customer-43")
    assert "customer" not in key_digest(b"customer-42")
    assert key_digest(None) == "-"


# --- the relay's decisions, against a fake producer ----------------------------------------


class _Cluster:
    def __init__(self, known: set[str]) -> None:
        self.known = known

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0} if topic in self.known else None


class _Client:
    """The producer's client: its metadata, and the broker's answer about a topic."""

    def __init__(self, known: set[str], answer: int | Exception) -> None:
        self.cluster = _Cluster(known)
        self.answer = answer
        self.asked: list[str] = []

    def get_random_node(self) -> int:
        return 1

    async def send(self, node: int, request: Any) -> Any:
        self.asked.append(request._topics[0])
        if isinstance(self.answer, Exception):
            raise self.answer
        return type("Response", (), {"topics": [(self.answer, request._topics[0], False, [])]})


class _Producer:
    def __init__(
        self,
        client: _Client,
        refuse: dict[str, Exception],
        fail: dict[str, Exception] | None = None,
    ) -> None:
        """`refuse`: what `send` raises per topic; `fail`: what the delivery fails with."""
        self.client = client
        self.refuse = refuse
        self.fail = fail or {}
        self.running: bool | None = None

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def send(self, topic: str, value: bytes, **_: Any) -> asyncio.Future[Any]:
        if topic in self.refuse:
            raise self.refuse[topic]
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic in self.fail:
            done.set_exception(self.fail[topic])
        else:
            done.set_result(None)
        return done


class _Outbox:
    """The relay's connection: every row it has not been told is published."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.marked: set[int] = set()

    async def fetch(self, query: str, limit: int, published: list[int], *_: Any) -> Any:
        self.marked |= set(published)
        return [row for row in self.rows if row["id"] not in self.marked]


def _relay(producer: _Producer) -> Relay:
    settings = ServiceSettings(service="kyc", relay_metadata_timeout_s=0.5)
    return Relay(settings, cast(Any, producer))


def _outbox_rows(*topics: str) -> list[dict[str, Any]]:
    return [
        {"id": n, "topic": topic, "key": b"k", "value": b"v", "headers": "[]"}
        for n, topic in enumerate(topics, start=1)
    ]


async def test_the_relay_parks_a_row_to_a_topic_the_broker_says_is_missing() -> None:
    client = _Client({"present"}, UnknownTopicOrPartitionError.errno)
    outcome = await _relay(_Producer(client, {}))._publish(
        cast(Any, _outbox_rows("present", "missing", "present"))
    )
    assert outcome.published == [1, 3]
    assert [(p.id, p.refusal.reason) for p in outcome.parked] == [(2, UNKNOWN_TOPIC)]
    assert client.asked == ["missing"], "asked before sending: no 40 s metadata wait"


async def test_with_the_broker_unreachable_nothing_is_parked() -> None:
    # the producer knows no metadata, cannot ask, and its metadata wait runs out
    client = _Client(set(), KafkaConnectionError())
    producer = _Producer(client, {"any": UnknownTopicOrPartitionError()})
    outcome = await _relay(producer)._publish(cast(Any, _outbox_rows("any", "any")))
    assert (outcome.published, outcome.parked) == ([], [])


async def test_a_row_too_large_is_parked_and_the_next_one_published() -> None:
    client = _Client({"big", "small"}, 0)
    producer = _Producer(client, {"big": MessageSizeTooLargeError("3000000 bytes")})
    outcome = await _relay(producer)._publish(cast(Any, _outbox_rows("big", "small")))
    assert outcome.published == [2]
    assert [(p.id, p.refusal.reason) for p in outcome.parked] == [(1, RECORD_TOO_LARGE)]
    assert client.asked == [], "the refusal alone is proof"


async def test_a_producer_whose_state_the_broker_refuses_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # e.g. a hole in its idempotent sequence: the broker refuses every later batch of it
    client = _Client({"t"}, 0)
    broken = _Producer(client, {}, fail={"t": OutOfOrderSequenceNumber()})
    fresh = _Producer(client, {})
    monkeypatch.setattr(relay_module, "create_producer", lambda settings: fresh)
    relay, outbox = _relay(broken), _Outbox(_outbox_rows("t", "t"))
    assert await relay.relay_once(cast(Any, outbox)) == 0, "nothing settled by the refused one"
    assert (broken.running, fresh.running) == (False, True)
    assert await relay.relay_once(cast(Any, outbox)) == 2, "the new producer sends them again"
    await relay.relay_once(cast(Any, outbox))
    assert outbox.marked == {1, 2}


@pytest.mark.parametrize(
    ("error", "breaks"),
    [
        (OutOfOrderSequenceNumber(), True),
        (UnknownProducerId(), True),
        (ProducerFenced(), True),
        (NotLeaderForPartitionError(), False),
        (KafkaConnectionError(), False),
        (MessageSizeTooLargeError(), False),
    ],
)
def test_which_failures_are_the_producer_s_own(error: Exception, breaks: bool) -> None:
    assert breaks_producer(error) is breaks


async def test_rows_the_broker_has_not_acknowledged_yet_are_waited_for_not_sent_again() -> None:
    sends: list[str] = []

    class _Slow(_Producer):
        async def send(self, topic: str, value: bytes, **_: Any) -> asyncio.Future[Any]:
            sends.append(topic)
            acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_later(0.3, acked.set_result, None)  # broker back
            return acked

    settings = ServiceSettings(service="kyc", relay_send_timeout_s=0.05)
    relay = Relay(settings, cast(Any, _Slow(_Client({"t"}, 0), {})))
    outcome = await relay._publish(cast(Any, _outbox_rows("t", "t")))
    assert outcome.published == [1, 2]
    assert sends == ["t", "t"], "each row sent once"
