"""Which broker failures mean an outbox row can never be published (the relay parks it), and
which may pass (the relay sends it again).

A refusal is permanent only when it is about the row itself (its topic, its size) and
publishing the very same bytes again cannot succeed until an operator acts. Anything else,
including every error this module does not know, is transient: sending again is what the
relay did before parking existed, and a wrong "transient" only delays, while a wrong
"permanent" would set a deliverable message aside.

`UnknownTopicOrPartitionError` alone proves nothing: aiokafka's `send` raises it after
waiting `request_timeout_ms` (40 s by default) for a topic's metadata, whether the topic is
missing or the broker unreachable, and a broker answers it to a produce request while a
partition moves. The relay asks the broker about the topic (`topic_refusal`) before it
believes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.errors import (
    BrokerResponseError,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    InvalidTopicError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAuthorizationFailedError,
    UnknownProducerId,
    UnknownTopicOrPartitionError,
    for_code,
)

UNKNOWN_TOPIC = "unknown_topic"
INVALID_TOPIC = "invalid_topic"
TOPIC_AUTHORIZATION_FAILED = "topic_authorization_failed"
RECORD_TOO_LARGE = "record_too_large"

_DETAIL_CHARS = 500


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the broker will never take a row: a snake_case `reason` and a short `detail`
    (the client's or broker's own words; they name topics and sizes, never record values)."""

    reason: str
    detail: str


# Refusals about the row whatever the broker's state. A batch refused as too large holds
# only this row: the producer's batches (256 KiB) are far below every topic's record limit,
# so a refused batch is a single record over it.
_PERMANENT: dict[type[BaseException], str] = {
    MessageSizeTooLargeError: RECORD_TOO_LARGE,
    InvalidTopicError: INVALID_TOPIC,
    TopicAuthorizationFailedError: TOPIC_AUTHORIZATION_FAILED,
}

# What the broker says about a topic when asked for its metadata.
_TOPIC_ERRORS: dict[type[BrokerResponseError], str] = {
    UnknownTopicOrPartitionError: UNKNOWN_TOPIC,
    InvalidTopicError: INVALID_TOPIC,
    TopicAuthorizationFailedError: TOPIC_AUTHORIZATION_FAILED,
}


def permanent_refusal(error: BaseException) -> Refusal | None:
    """The permanent refusal `error` stands for by itself, or None."""
    for kind, reason in _PERMANENT.items():
        if isinstance(error, kind):
            return Refusal(reason, _detail(error))
    return None


# Refusals about the producer, not the row: its idempotent state (producer id, epoch,
# sequence per partition) no longer matches the broker's, and aiokafka never resets it, so
# the broker refuses every later batch of that producer to the partition. aiokafka leaves
# such a hole itself when it fails a batch it already numbered (one that waited for a
# leader past the producer's request timeout, as in a long broker restart); the broker
# forgets a producer whose records were all deleted. A new producer (a new id) sends the
# same rows again.
_PRODUCER_STATE: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    ProducerFenced,
)


def breaks_producer(error: BaseException) -> bool:
    """Whether `error` means the producer itself must be replaced before anything more of it
    can be published."""
    return isinstance(error, _PRODUCER_STATE)


def asks_about_topic(error: BaseException) -> bool:
    """Whether `error` may mean the topic is missing (only the broker can tell): a wait for
    metadata that ran out, or the broker's "unknown topic or partition"."""
    return isinstance(error, UnknownTopicOrPartitionError | KafkaTimeoutError | TimeoutError)


def topic_refusal(error_code: int) -> Refusal | None:
    """The permanent refusal of every row of a topic, from the error code the broker
    answered a metadata request for that topic with (0: it exists), or None."""
    if error_code == 0:
        return None
    error = for_code(error_code)
    reason = _TOPIC_ERRORS.get(error)
    if reason is None:  # e.g. no leader yet: a topic being created
        return None
    return Refusal(reason, f"the broker answers {error.message} for this topic")


def _detail(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 3] + "..."
