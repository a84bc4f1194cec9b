"""The envelope codec: exact round trips, and every hostile record ends as a DecodeError."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

from schemas.envelope import (
    MAX_DETAIL_CHARS,
    MAX_MESSAGE_BYTES,
    Codec,
    DecodeError,
    Envelope,
    envelope,
    envelope_model,
    record_headers,
    reply_to,
)
from schemas.ids import Name, Text, derive_id
from schemas.message import MESSAGE_TYPES, Message
from schemas.money import EXPONENTS, MAX_MINOR_UNITS, Money
from schemas.rates import RateStr
from tests.unit.schemas.support import decode_error

SECRET = "sk_live_7f3Q-SECRET!/hunter2"
"""Looks like a credential and is valid for none of the typed fields below."""


class Deposit(Message):
    TYPE = "test.deposit"

    account: Name
    amount: Money
    rate: RateStr | None = None
    note: Text | None = None


class Ping(Message):
    TYPE = "test.ping"
    VERSION = 2

    seq: int = Field(ge=0, le=1_000)


BOTH = Codec([Deposit, Ping])
DEPOSITS = Codec([Deposit])

uuids = st.uuids()
names = st.from_regex(r"\A[a-z][a-z0-9_.-]{0,30}\Z")
utc_datetimes = st.datetimes(timezones=st.just(dt.UTC))
moneys = st.builds(
    Money,
    amount_minor=st.integers(min_value=0, max_value=MAX_MINOR_UNITS),
    currency=st.sampled_from(sorted(EXPONENTS)),
)
rates = st.from_regex(r"\A[1-9][0-9]{0,11}(\.[0-9]{1,12})?\Z")
deposits = st.builds(
    Deposit,
    account=names,
    amount=moneys,
    rate=st.none() | rates,
    # text that can be a JSON string: no NUL (refused by contract), no lone surrogate
    note=st.none() | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=200),
)
pings = st.builds(Ping, seq=st.integers(min_value=0, max_value=1_000))


def envelopes(payloads: st.SearchStrategy[Message]) -> st.SearchStrategy[Envelope[Any]]:
    return st.builds(
        envelope,
        payloads,
        producer=names,
        correlation_id=uuids,
        causation_id=st.none() | uuids,
        reply_to=st.none() | names,
        message_id=uuids,
        occurred_at=utc_datetimes,
    )


def valid_document() -> dict[str, Any]:
    payload = Deposit(account="acct-1", amount=Money(amount_minor=100, currency="HKD"))
    env = envelope(payload, producer="settlement", correlation_id=uuid.uuid4(), reply_to="a.b")
    document: dict[str, Any] = json.loads(env.to_bytes())
    return document


@given(env=envelopes(deposits | pings))
def test_round_trip_through_a_tagged_codec(env: Envelope[Any]) -> None:
    decoded = BOTH.decode(env.to_bytes())
    assert decoded == env
    assert type(decoded) is envelope_model(type(env.payload))


@given(env=envelopes(deposits))
def test_round_trip_through_a_single_type_codec(env: Envelope[Any]) -> None:
    assert DEPOSITS.decode(env.to_bytes()) == env


@given(raw=st.binary(max_size=2_000))
def test_random_bytes_raise_only_decode_errors(raw: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        BOTH.decode(raw)
    assert caught.value.reason in {"empty", "not_json", "invalid_envelope", "unexpected_type"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@given(document=json_values)
def test_random_json_raises_only_decode_errors(document: Any) -> None:
    with pytest.raises(DecodeError):
        BOTH.decode(json.dumps(document).encode())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(env=envelopes(deposits), data=st.data())
def test_a_corrupted_field_is_a_decode_error_or_still_a_valid_message(
    env: Envelope[Any], data: st.DataObject
) -> None:
    document = json.loads(env.to_bytes())
    target = data.draw(st.sampled_from([document, document["payload"]]))
    target[data.draw(st.sampled_from(sorted(target)))] = data.draw(json_values)
    try:
        decoded = BOTH.decode(json.dumps(document).encode())
    except DecodeError as exc:
        error = exc
    else:
        assert decoded.to_bytes()  # whatever was accepted is a complete, valid message
        return
    assert error.reason in {"invalid_envelope", "invalid_payload", "unexpected_type"}
    assert len(error.detail) <= MAX_DETAIL_CHARS


def test_empty_records() -> None:
    for raw in (None, b""):
        with pytest.raises(DecodeError) as caught:
            BOTH.decode(raw)
        assert caught.value.reason == "empty"


def test_oversize_records_are_refused_before_parsing() -> None:
    document = valid_document()
    document["payload"]["note"] = "x" * MAX_MESSAGE_BYTES
    with pytest.raises(DecodeError) as caught:
        BOTH.decode(json.dumps(document).encode())
    assert caught.value.reason == "oversize"
    with pytest.raises(DecodeError) as caught:
        BOTH.decode(b"[" * (MAX_MESSAGE_BYTES + 1))
    assert caught.value.reason == "oversize"


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"nan", b'{"a": 1} x', b"[" * 10_000])
def test_not_json(raw: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        BOTH.decode(raw)
    assert caught.value.reason == "not_json"


def test_extra_envelope_field() -> None:
    document = valid_document()
    document["priority"] = "high"
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_envelope"
    assert "priority" in error.detail


def test_extra_payload_field() -> None:
    document = valid_document()
    document["payload"]["iban"] = SECRET
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_payload"
    assert "payload.iban" in error.detail
    assert SECRET not in error.detail


@pytest.mark.parametrize(
    ("codec", "type_name"),
    [
        (DEPOSITS, "test.ping"),
        (BOTH, "test.unknown"),
        (BOTH, None),
        (BOTH, 1),
        (BOTH, ["test.deposit"]),
        (BOTH, {"test.deposit": 1}),
        (BOTH, SECRET),
    ],
)
def test_unexpected_type(codec: Codec, type_name: Any) -> None:
    document = valid_document()
    document["type"] = type_name
    error = decode_error(codec, document)
    assert error.reason == "unexpected_type"
    assert SECRET not in error.detail


def test_a_missing_type_is_unexpected() -> None:
    document = valid_document()
    del document["type"]
    assert decode_error(BOTH, document).reason == "unexpected_type"


@pytest.mark.parametrize(
    "occurred_at",
    ["2030-01-01T08:00:00+08:00", "2030-01-01T00:00:00", "2030-01-01", 1_900_000_000],
)
def test_occurred_at_must_be_utc(occurred_at: Any) -> None:
    document = valid_document()
    document["occurred_at"] = occurred_at
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_envelope"
    assert "occurred_at" in error.detail


def test_building_a_non_utc_envelope_fails() -> None:
    hong_kong = dt.timezone(dt.timedelta(hours=8))
    with pytest.raises(ValueError, match="UTC"):
        envelope(
            Ping(seq=1),
            producer="fx",
            correlation_id=uuid.uuid4(),
            occurred_at=dt.datetime.now(hong_kong),
        )


@pytest.mark.parametrize("version", [0, 3, 1.0, True, "1", None])
def test_schema_version_is_bounded_by_the_class(version: Any) -> None:
    document = valid_document()
    document["type"], document["payload"] = "test.ping", {"seq": 1}
    document["schema_version"] = version
    assert decode_error(BOTH, document).reason == "invalid_envelope"
    document["schema_version"] = 2
    assert BOTH.decode(json.dumps(document).encode()).payload == Ping(seq=1)


def test_header_salvaged_from_a_bad_message() -> None:
    document = valid_document()
    document["payload"]["amount"]["amount_minor"] = 1.5
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_payload"
    assert error.header == {
        "message_id": document["message_id"],
        "correlation_id": document["correlation_id"],
        "reply_to": "a.b",
        "type": "test.deposit",
    }


def test_header_salvage_keeps_what_is_usable() -> None:
    document = valid_document()
    document["message_id"] = SECRET
    document["reply_to"] = "Not A Topic"
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_envelope"
    assert error.header["message_id"] is None
    assert error.header["reply_to"] is None
    assert error.header["correlation_id"] == document["correlation_id"]


SECRET_TARGETS = [
    ("message_id",),
    ("correlation_id",),
    ("causation_id",),
    ("occurred_at",),
    ("producer",),
    ("reply_to",),
    ("schema_version",),
    ("payload", "account"),
    ("payload", "rate"),
    ("payload", "amount", "amount_minor"),
    ("payload", "amount", "currency"),
    ("payload", "amount"),
    ("payload",),
]


@pytest.mark.parametrize("where", SECRET_TARGETS, ids=".".join)
@pytest.mark.parametrize("codec", [BOTH, DEPOSITS], ids=["tagged", "single"])
def test_detail_never_echoes_the_offending_value(codec: Codec, where: tuple[str, ...]) -> None:
    document = valid_document()
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = SECRET
    error = decode_error(codec, document)
    assert error.reason in {"invalid_envelope", "invalid_payload"}
    assert where[-1] in error.detail  # the field is named...
    assert SECRET not in error.detail  # ...its value is not
    assert "hunter2" not in str(error)


def test_detail_is_bounded() -> None:
    document = valid_document()
    for index in range(50):
        document[f"{'k' * 5_000}{index}"] = 1
    error = decode_error(BOTH, document)
    assert error.reason == "invalid_envelope"
    assert len(error.detail) <= MAX_DETAIL_CHARS


def test_a_codec_needs_a_type() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Codec([])


def test_reply_derives_its_id_from_the_request() -> None:
    request = envelope(Ping(seq=1), producer="redemption", correlation_id=uuid.uuid4())
    reply = reply_to(request, Ping(seq=2), producer="fx")
    again = reply_to(request, Ping(seq=2), producer="fx")
    assert reply.message_id == again.message_id == derive_id(request.message_id, "reply")
    assert reply.causation_id == request.message_id
    assert reply.correlation_id == request.correlation_id


def test_record_headers_repeat_the_ids() -> None:
    cause = uuid.uuid4()
    env = envelope(Ping(seq=1), producer="fx", correlation_id=uuid.uuid4(), causation_id=cause)
    headers = dict(record_headers(env))
    assert headers["type"] == b"test.ping"
    assert headers["schema_version"] == b"2"
    assert headers["message_id"] == str(env.message_id).encode()
    assert headers["correlation_id"] == str(env.correlation_id).encode()
    assert headers["causation_id"] == str(cause).encode()
    assert headers["producer"] == b"fx"


def test_message_types_register_once_with_well_formed_names() -> None:
    assert MESSAGE_TYPES["test.deposit"] is Deposit
    with pytest.raises(TypeError, match="already registered"):

        class Impostor(Message):
            TYPE = "test.deposit"

    assert MESSAGE_TYPES["test.deposit"] is Deposit
    for bad in ("Test.Upper", "test", "test/../../etc", "test.x" + "y" * 100):
        with pytest.raises(TypeError, match="TYPE"):
            type("Bad", (Message,), {"TYPE": bad, "__module__": __name__})
        assert bad not in MESSAGE_TYPES
    with pytest.raises(TypeError, match="VERSION"):
        type("Bad", (Message,), {"TYPE": "test.bad", "VERSION": 0, "__module__": __name__})
    assert "test.bad" not in MESSAGE_TYPES
