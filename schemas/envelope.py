"""The envelope every message travels in, and its strict codec.

Wire format: one JSON object per Kafka record,
    {"message_id", "type", "schema_version", "occurred_at", "correlation_id",
     "causation_id", "producer", "reply_to", "payload": {...}}
The record headers repeat type and ids for routing and tracing (`record_headers`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

import jiter
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
)

from schemas.ids import Name, derive_id, new_id, without_nul
from schemas.message import MAX_VERSION, TYPE_PATTERN, Message

M = TypeVar("M", bound=Message)
R = TypeVar("R", bound=Message)

MAX_MESSAGE_BYTES = 256 * 1024
"""Larger records are refused before parsing: no contract needs more."""


class Envelope(BaseModel, Generic[M]):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    message_id: uuid.UUID
    """Unique per message and the receiver's idempotency key."""
    type: str = Field(max_length=100)
    schema_version: int = Field(ge=1, le=MAX_VERSION)
    occurred_at: AwareDatetime
    correlation_id: uuid.UUID
    """The business flow this message belongs to (a redemption id, a deposit id...)."""
    causation_id: uuid.UUID | None = None
    """The message that caused this one; None for a flow's first message."""
    producer: Name
    reply_to: Name | None = None
    """For commands: the topic that receives the one reply."""
    payload: M

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.utcoffset() != dt.timedelta(0):
            raise ValueError("occurred_at must be in UTC")
        return value

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def envelope(
    payload: M,
    *,
    producer: str,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    reply_to: str | None = None,
    message_id: uuid.UUID | None = None,
    occurred_at: dt.datetime | None = None,
) -> Envelope[M]:
    """Wrap `payload` for sending; a retried step passes its derived `message_id`."""
    return envelope_model(type(payload))(
        message_id=message_id or new_id(),
        type=payload.TYPE,
        schema_version=payload.VERSION,
        occurred_at=occurred_at or dt.datetime.now(dt.UTC),
        correlation_id=correlation_id,
        causation_id=causation_id,
        producer=producer,
        reply_to=reply_to,
        payload=payload,
    )


def reply_to(request: Envelope[Any], payload: R, *, producer: str) -> Envelope[R]:
    """The one reply to `request`: its id derives from the request's, so a replayed reply
    is the same message and the receiver's inbox drops the copy."""
    return envelope(
        payload,
        producer=producer,
        correlation_id=request.correlation_id,
        causation_id=request.message_id,
        message_id=derive_id(request.message_id, "reply"),
    )


HEADER_FIELDS = (
    "type",
    "schema_version",
    "message_id",
    "correlation_id",
    "causation_id",
    "producer",
    "reply_to",
)


def record_headers(env: Envelope[Any] | Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """Kafka headers repeating the envelope's routing and tracing fields, from an envelope
    or from its decoded JSON document (a stored reply being replayed)."""
    document: Mapping[str, Any] = env if isinstance(env, Mapping) else env.__dict__
    return [
        (name, str(value).encode())
        for name in HEADER_FIELDS
        if (value := document.get(name)) is not None
    ]


def envelope_model(message_class: type[M]) -> type[Envelope[M]]:
    """The concrete envelope of one message type: `type` pinned, version bounded by the class."""
    return cast("type[Envelope[M]]", _envelope_model(message_class))


@cache
def _envelope_model(message_class: type[Message]) -> type[Envelope[Any]]:
    # One class per message type: pydantic builds its validator once, and `Codec`s share it.
    # Types built at run time: mypy cannot follow them, hence the casts.
    tag: Any = cast(Any, Literal)[message_class.TYPE]
    version: Any = Annotated[int, Field(ge=1, le=message_class.VERSION)]
    base: Any = Envelope[message_class]  # type: ignore[valid-type]
    model = create_model(
        f"{message_class.__name__}Envelope",
        __base__=base,
        type=(tag, ...),
        schema_version=(version, ...),
    )
    return cast("type[Envelope[Any]]", model)


class DecodeError(Exception):
    """A record that is not an acceptable message. `reason` is a snake_case code; `detail`
    names the failing fields but never echoes their values (they may be personal data)."""

    def __init__(self, reason: str, detail: str, header: dict[str, Any] | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.header = header or {}
        """What could be salvaged of the envelope (message_id, reply_to, correlation_id,
        type), so the sender can still get a typed rejection."""


_TypeName = Annotated[str, Field(max_length=100, pattern=TYPE_PATTERN)]

# The lenient view used only to address a rejection to a bad message's sender: each field is
# salvaged on its own, so one bad field does not lose the others.
_HEADER_FIELDS: dict[str, TypeAdapter[Any]] = {
    "message_id": TypeAdapter(uuid.UUID),
    "correlation_id": TypeAdapter(uuid.UUID),
    "reply_to": TypeAdapter(Name),
    "type": TypeAdapter(_TypeName),
}
_TYPE_NAME: TypeAdapter[str] = TypeAdapter(_TypeName)

MAX_DETAIL_CHARS = 1_000
"""`detail` ends up in `Rejected.detail` and `DeadLetter.detail` (bounded `Text`)."""
_MAX_LOC_PART_CHARS = 64

# pydantic messages of these error types quote the input (a union tag, a character of a
# UUID...): they are replaced by a generic text so that `detail` never carries data.
_QUOTING_ERRORS = {"union_tag_invalid": "the tag does not match any expected tag"}


class Codec:
    """Decodes records into the envelopes of the accepted message types, strictly."""

    def __init__(
        self, accepts: Iterable[type[Message]], *, max_bytes: int = MAX_MESSAGE_BYTES
    ) -> None:
        self.max_bytes = max_bytes
        self.accepts = tuple(dict.fromkeys(accepts))
        if not self.accepts:
            raise ValueError("a codec must accept at least one message type")
        models = tuple(envelope_model(cls) for cls in self.accepts)
        self._tagged = len(models) > 1
        union: Any = (
            Annotated[_union(models), Field(discriminator="type")] if self._tagged else models[0]
        )
        self._adapter: TypeAdapter[Envelope[Any]] = TypeAdapter(union)
        self._types = {cls.TYPE for cls in self.accepts}

    def decode(self, raw: bytes | None) -> Envelope[Any]:
        if raw is None or len(raw) == 0:
            raise DecodeError("empty", "the record has no value")
        if len(raw) > self.max_bytes:
            raise DecodeError("oversize", f"{len(raw)} bytes; the limit is {self.max_bytes}")
        try:
            decoded = self._adapter.validate_json(raw, strict=True)
        except ValidationError as exc:
            raise self._explain(raw, exc) from None
        _refuse_duplicate_keys(raw, decoded)
        return decoded

    def _explain(self, raw: bytes, exc: ValidationError) -> DecodeError:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "json_invalid" for e in errors):
            return DecodeError("not_json", "the record value is not a JSON document")
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            return DecodeError("not_json", "the record value is not a JSON document")
        header = _salvage_header(document)
        if not isinstance(document, dict):
            return DecodeError("invalid_envelope", "the record value is not a JSON object", header)
        type_name = document.get("type")
        if not isinstance(type_name, str) or type_name not in self._types:
            return DecodeError("unexpected_type", _unexpected(type_name), header)
        # A tagged union prefixes every location with the type tag.
        locs = [e["loc"][1:] if self._tagged else e["loc"] for e in errors]
        summary = "; ".join(
            f"{_loc(loc)}: {_message(e['type'], e['msg'])}"
            for loc, e in zip(locs[:5], errors[:5], strict=True)
        )
        if len(errors) > 5:
            summary += f"; and {len(errors) - 5} more"
        in_payload = all(loc[:1] == ("payload",) for loc in locs)
        reason = "invalid_payload" if in_payload else "invalid_envelope"
        return DecodeError(reason, _bounded(summary), header)


_DUPLICATE = re.compile(
    r'^Detected duplicate key "(?P<key>.*)" at line (?P<line>\d+) column (?P<column>\d+)$'
)
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _refuse_duplicate_keys(raw: bytes, decoded: Envelope[Any]) -> None:
    """A JSON object with a key twice, at any depth, is ambiguous: pydantic keeps the last
    value, another reader may keep the first (`amount_minor` 1 then 77700), and pydantic
    has no option to refuse it. Checked once the record is otherwise valid, by a second
    parse with jiter (pydantic's own parser, standalone), which can: about 5 us for a
    typical 0.5 KB envelope, against 7-11 us for the validation (a tokenizer or a key count
    in Python, or `json` with an object_pairs_hook, all cost more)."""
    try:
        jiter.from_json(raw, catch_duplicate_keys=True)
    except ValueError as exc:
        header = {
            "message_id": str(decoded.message_id),
            "correlation_id": str(decoded.correlation_id),
            "reply_to": decoded.reply_to,
            "type": decoded.type,
        }
        raise DecodeError("duplicate_key", _duplicate(str(exc)), header) from None


def _duplicate(error: str) -> str:
    # Only a key shaped like a field name is shown: any other key may be data.
    match = _DUPLICATE.match(error)
    if match is None:
        return "a JSON object has the same key twice"
    key = match["key"]
    shown = f"the key {key!r}" if _FIELD_NAME.match(key) else "a key"
    where = f"line {match['line']}, column {match['column']}"
    return f"{shown} appears twice in one JSON object ({where})"


def _union(models: tuple[type[Envelope[Any]], ...]) -> Any:
    from typing import Union

    return Union[models]  # noqa: UP007  (a runtime-built union needs the subscript form)


def _loc(loc: tuple[int | str, ...]) -> str:
    # Locations name fields, but an unknown field's name comes from the sender: bounded,
    # and without the NUL that `detail` (a free-text field itself) may not carry.
    return ".".join(_bounded(without_nul(str(part)), _MAX_LOC_PART_CHARS) for part in loc)


def _message(error_type: str, msg: str) -> str:
    if error_type in _QUOTING_ERRORS:
        return _QUOTING_ERRORS[error_type]
    if error_type.endswith("_parsing"):
        return msg.split(",", 1)[0]  # "Input should be a valid UUID, invalid character: `x`"
    return msg


def _bounded(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unexpected(type_name: object) -> str:
    # Only a well-formed type name is shown: anything else may be data.
    if _valid(_TYPE_NAME, type_name):
        return f"type {type_name!r} is not accepted here"
    return "the type is missing or not a type name"


def _valid(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


def _salvage_header(document: object) -> dict[str, Any] | None:
    """Every header field, None where the document's value is missing or unusable."""
    if not isinstance(document, dict):
        return None
    return {name: _salvage(adapter, document.get(name)) for name, adapter in _HEADER_FIELDS.items()}


def _salvage(adapter: TypeAdapter[Any], value: object) -> Any:
    try:
        return adapter.dump_python(adapter.validate_python(value), mode="json")
    except ValidationError:
        return None
