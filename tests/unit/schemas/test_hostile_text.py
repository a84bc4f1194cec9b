"""Hostile text at decode: NUL characters (which PostgreSQL cannot store) in any string
field of any contract, and duplicate JSON keys at any depth, are typed decode failures."""

from __future__ import annotations

import datetime as dt
import json
import re._constants as sre  # type: ignore[import-not-found]  # the regex parser: no public API
import re._parser as sre_parse  # type: ignore[import-not-found]
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from schemas.compat import load_all_contracts
from schemas.envelope import Codec, _duplicate, envelope, envelope_model
from schemas.ids import NulFree, without_nul
from schemas.message import Message
from schemas.money import Money
from schemas.runtime import Rejected
from schemas.settlement import (
    BankAccount,
    DepositParticulars,
    DepositReceived,
    StatementLine,
    deposit_context,
    deposit_received,
)
from tests.support.sealing import throwaway
from tests.unit.schemas.support import decode_error

CONTRACTS = load_all_contracts()
DEPOSITS = Codec([DepositReceived, Rejected])


def _strings_admitting_nul(node: Any, path: str = "$") -> Iterator[str]:
    """Where a contract's core schema has a string that neither carries NulFree nor has a
    pattern refusing U+0000 (pydantic's core schema is what decoding runs)."""
    if isinstance(node, list):
        for item in node:
            yield from _strings_admitting_nul(item, path)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "function-after" and node["function"]["function"] is NulFree.func:
        return
    if node.get("type") == "str":
        if "pattern" not in node or _pattern_admits_nul(node["pattern"]):
            yield path
        return
    for key, value in node.items():
        if key == "fields":
            for name, field in value.items():
                yield from _strings_admitting_nul(field, f"{path}.{name}")
        else:
            yield from _strings_admitting_nul(value, path)


def _pattern_admits_nul(pattern: str) -> bool:
    return _admits_nul(sre_parse.parse(pattern))


def _admits_nul(items: Any) -> bool:
    """Whether any part of a parsed regex may consume U+0000 (an over-approximation: a
    part that can is enough, whatever surrounds it)."""
    for op, arg in items:
        if op is sre.ANY or (op is sre.NOT_LITERAL and arg != 0) or (op is sre.LITERAL and not arg):
            return True
        if op is sre.IN and _set_admits_nul(arg):
            return True
        if op is sre.CATEGORY and _category_admits_nul(arg):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and _admits_nul(arg[2]):
            return True
        if op is sre.SUBPATTERN and _admits_nul(arg[3]):
            return True
        if op is sre.BRANCH and any(_admits_nul(branch) for branch in arg[1]):
            return True
        if op is sre.ATOMIC_GROUP and _admits_nul(arg):
            return True
    return False


def _set_admits_nul(members: Any) -> bool:
    negated = bool(members) and members[0][0] is sre.NEGATE
    hit = any(
        (op is sre.LITERAL and arg == 0)
        or (op is sre.RANGE and arg[0] <= 0 <= arg[1])
        or (op is sre.CATEGORY and _category_admits_nul(arg))
        for op, arg in members
    )
    return hit != negated


def _category_admits_nul(category: Any) -> bool:
    # U+0000 is neither a digit, a space nor a word character: only the negations match it
    return str(category).startswith("CATEGORY_NOT_")


@pytest.mark.parametrize("type_name", sorted(CONTRACTS))
def test_no_string_field_of_any_contract_admits_nul(type_name: str) -> None:
    schema = envelope_model(CONTRACTS[type_name]).__pydantic_core_schema__
    assert list(_strings_admitting_nul(schema)) == []


SETTLEMENT = throwaway("settlement")


def deposit(holder_name: str = "Chan") -> DepositReceived:
    return deposit_received(
        SETTLEMENT.current,
        "DEP-1",
        Money(amount_minor=1, currency="CNH"),
        dt.date(2026, 1, 2),
        DepositParticulars(
            payer=BankAccount(
                holder_name=holder_name, account_number="HK-1234", bank_code="004", country="HK"
            ),
            remittance="CNH-ABCDEFGHIJ",
        ),
    )


def document(payload: Message) -> dict[str, Any]:
    env = envelope(payload, producer="bank", correlation_id=uuid.uuid4(), reply_to="a.b")
    decoded: dict[str, Any] = json.loads(env.to_bytes())
    return decoded


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("payload", "bank_reference"), "payload.bank_reference"),
        (("payload", "particulars", "box"), "payload.particulars.box"),
    ],
)
def test_a_nul_in_a_text_field_is_an_invalid_payload_naming_the_field(
    path: tuple[str, ...], where: str
) -> None:
    doc = document(deposit())
    parent = doc
    for name in path[:-1]:
        parent = parent[name]
    parent[path[-1]] = "CNH-ABCDEFGHIJ\x00SECRET"
    error = decode_error(DEPOSITS, doc)
    assert error.reason == "invalid_payload"
    assert error.detail.startswith(f"{where}: ")
    assert "SECRET" not in error.detail
    assert error.header["reply_to"] == "a.b"  # the sender can be told


def test_a_nul_is_refused_when_a_message_is_built_too() -> None:
    with pytest.raises(ValueError, match="NUL"):
        StatementLine(
            bank_reference="B",
            end_to_end_id=None,
            direction="credit",
            amount=Money(amount_minor=1, currency="CNH"),
            booked_at=dt.datetime.now(dt.UTC),
            description="a\x00b",
        )


def test_an_escaped_backslash_before_u0000_is_no_nul() -> None:
    raw = json.dumps(document(deposit(holder_name="C:\\u0000 Chan"))).encode()
    notice = DEPOSITS.decode(raw).payload
    opened = SETTLEMENT.open(notice.particulars, DepositParticulars, deposit_context("DEP-1"))
    assert opened.payer.holder_name == "C:\\u0000 Chan"


def test_an_unknown_field_named_with_a_nul_is_reported_without_it() -> None:
    doc = document(deposit())
    doc["payload"]["x\x00y"] = 1
    error = decode_error(DEPOSITS, doc)
    assert error.reason == "invalid_payload"
    assert "\x00" not in error.detail
    Rejected(reason=error.reason, detail=error.detail)  # a rejection can carry the detail
    assert without_nul("a\x00b") == "a\ufffdb"


def duplicated(raw: bytes, field: bytes, first: bytes, then: bytes) -> bytes:
    old = b'"' + field + b'":' + first
    assert raw.count(old) == 1
    return raw.replace(old, old + b', "' + field + b'" :' + then)


@pytest.mark.parametrize(
    ("field", "first", "then"),
    [
        (b"amount_minor", b"1", b"77700"),  # in the payload, two objects deep
        (b"bank_reference", b'"DEP-1"', b'"DEP-2"'),  # in the payload
        (b"reply_to", b'"a.b"', b'"c.d"'),  # in the envelope
        (b"payload", b"{", json.dumps(document(deposit())["payload"]).encode()[:1]),
    ],
)
def test_a_duplicate_key_at_any_depth_is_refused(field: bytes, first: bytes, then: bytes) -> None:
    raw = json.dumps(document(deposit()), separators=(",", ":")).encode()
    if field == b"payload":  # a whole second payload, itself valid, before the real one
        other = json.dumps(document(deposit(holder_name="Other"))["payload"]).encode()
        hostile = raw.replace(b'"payload":', b'"payload":' + other + b',"payload":', 1)
    else:
        hostile = duplicated(raw, field, first, then)
    assert DEPOSITS._adapter.validate_json(hostile)  # what pydantic alone lets through
    error = decode_error(DEPOSITS, hostile)
    assert error.reason == "duplicate_key"
    assert error.detail.startswith(f"the key {field.decode()!r} appears twice")
    assert error.header["reply_to"] in {"a.b", "c.d"}


def test_a_duplicate_key_is_named_only_when_shaped_like_a_field_name() -> None:
    # every key of an otherwise valid record names a field; the parser's words are not ours
    assert _duplicate('Detected duplicate key "SECRET!" at line 1 column 9') == (
        "a key appears twice in one JSON object (line 1, column 9)"
    )
    assert _duplicate("something else") == "a JSON object has the same key twice"
