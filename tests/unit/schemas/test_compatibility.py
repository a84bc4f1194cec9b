"""Schema evolution: the committed snapshots gate every contract change.

(a) the contracts match their committed snapshots (what `python -m schemas.snapshot --check`
runs); (b) the checker itself catches each breaking-change rule and lets compatible ones pass.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from schemas.compat import check_backward_compatible, load_all_contracts
from schemas.message import Message, Struct
from schemas.money import Money
from schemas.snapshot import (
    SNAPSHOT_DIR,
    check_snapshots,
    current_schema,
    main,
    render,
    snapshot_name,
    write_snapshots,
)

# --- (a) the committed snapshots -------------------------------------------------------------


def test_contracts_are_compatible_with_their_committed_snapshots() -> None:
    assert check_snapshots() == []


def test_every_contract_has_a_snapshot() -> None:
    contracts = load_all_contracts()
    assert {"runtime.dead_letter", "runtime.rejected"} <= contracts.keys()
    assert not [name for name in contracts if name.startswith("test.")]  # test types excluded
    for cls in contracts.values():
        assert (SNAPSHOT_DIR / snapshot_name(cls)).is_file(), cls.TYPE


class Transfer(Message):
    """A test-only contract for the snapshot workflow."""

    TYPE = "test.compat_transfer"

    amount: Money
    memo: str = Field(default="", max_length=50)


def _contracts() -> dict[str, type[Message]]:
    return {Transfer.TYPE: Transfer}


def _write_snapshot(directory: Path, schema: dict[str, Any]) -> Path:
    path = directory / snapshot_name(Transfer)
    path.write_text(render(schema), encoding="utf-8")
    return path


def test_check_reports_a_missing_snapshot(tmp_path: Path) -> None:
    [problem] = check_snapshots(_contracts(), tmp_path)
    assert "no snapshot test.compat_transfer.v1.json" in problem


def test_check_reports_a_breaking_change(tmp_path: Path) -> None:
    old = current_schema(Transfer)
    old["$defs"]["Transfer"]["properties"]["reference"] = {"type": "string"}
    _write_snapshot(tmp_path, old)
    problems = check_snapshots(_contracts(), tmp_path)
    assert problems == ["test.compat_transfer v1: $.payload.reference: property removed"]


def test_check_reports_an_outdated_but_compatible_snapshot(tmp_path: Path) -> None:
    old = current_schema(Transfer)
    old["$defs"]["Transfer"]["properties"]["memo"]["maxLength"] = 40
    _write_snapshot(tmp_path, old)
    [problem] = check_snapshots(_contracts(), tmp_path)
    assert "out of date (compatible)" in problem


def test_check_reports_snapshots_without_a_contract(tmp_path: Path) -> None:
    _write_snapshot(tmp_path, current_schema(Transfer))
    (tmp_path / "test.gone.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "test.compat_transfer.v2.json").write_text("{}\n", encoding="utf-8")
    problems = check_snapshots(_contracts(), tmp_path)
    assert len(problems) == 2
    assert "test.gone.v1.json: no registered message" in problems[0] + problems[1]


def test_write_refuses_a_breaking_change_unless_forced(tmp_path: Path) -> None:
    old = current_schema(Transfer)
    old["$defs"]["Transfer"]["properties"]["memo"]["maxLength"] = 100
    path = _write_snapshot(tmp_path, old)
    written, refused = write_snapshots(_contracts(), tmp_path)
    assert written == []
    assert any("maxLength tightened to 50" in problem for problem in refused)
    assert any("Transfer.VERSION = 2" in problem for problem in refused)
    assert json.loads(path.read_text(encoding="utf-8")) == old

    written, refused = write_snapshots(_contracts(), tmp_path, force=True)
    assert (written, refused) == ([path.name], [])
    assert check_snapshots(_contracts(), tmp_path) == []


def test_write_updates_compatible_and_skips_identical_snapshots(tmp_path: Path) -> None:
    old = current_schema(Transfer)
    old["$defs"]["Transfer"]["properties"]["memo"]["maxLength"] = 40
    path = _write_snapshot(tmp_path, old)
    assert write_snapshots(_contracts(), tmp_path) == ([path.name], [])
    assert write_snapshots(_contracts(), tmp_path) == ([], [])
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert "no snapshot" in capsys.readouterr().err
    assert main(["--write", "--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {snapshot_name(cls) for cls in load_all_contracts().values()}
    with pytest.raises(SystemExit):
        main(["--check", "--force"])


# --- (b) the rules ---------------------------------------------------------------------------


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **more,
    }


INT = {"type": "integer"}
STR = {"type": "string"}
NULL = {"type": "null"}
NULLABLE_STR = {"anyOf": [STR, NULL], "default": None}

MONEY_DEF = obj({"amount_minor": {**INT, "minimum": 0}, "currency": STR}, ("amount_minor",))


def with_money(money: dict[str, Any], *, ref_name: str = "Money") -> dict[str, Any]:
    return {
        **obj({"payload": {"$ref": f"#/$defs/{ref_name}"}}, ("payload",)),
        "$defs": {ref_name: money},
    }


def tree(leaf: dict[str, Any]) -> dict[str, Any]:
    """A recursive type: a node with a value and child nodes."""
    node = obj({"value": leaf, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}})
    return {"$ref": "#/$defs/Node", "$defs": {"Node": node}}


def changed(schema: dict[str, Any], edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(schema)
    edit(new)
    return new


BREAKING = [
    pytest.param(obj({"a": INT, "b": STR}), obj({"a": INT}), "$.b: property removed", id="removed"),
    pytest.param(obj({"a": INT}), obj({"a": STR}), "$.a: type changed from integer to string",
                 id="integer-to-string"),
    pytest.param(obj({"a": INT}), obj({"a": {"type": "number"}}), "$.a: type changed",
                 id="integer-to-number"),
    pytest.param(obj({"a": STR}), obj({"a": {"type": ["string", "integer"]}}), "$.a: type changed",
                 id="type-added"),
    pytest.param(obj({"a": {}}), obj({"a": STR}), "$.a: type changed from any to string",
                 id="type-constrained"),
    pytest.param(obj({"a": NULLABLE_STR}), obj({"a": STR}), "$.a: null values are no longer",
                 id="null-removed"),
    pytest.param(obj({"a": INT, "b": STR}, ("a",)), obj({"a": INT, "b": STR}, ("a", "b")),
                 "$.b: became required", id="became-required"),
    pytest.param(obj({"a": INT}), obj({"a": INT, "c": STR}, ("c",)),
                 "$.c: new required property", id="new-required"),
    pytest.param(obj({"a": {**STR, "maxLength": 10}}), obj({"a": {**STR, "maxLength": 5}}),
                 "$.a: maxLength tightened to 5", id="maxLength-decreased"),
    pytest.param(obj({"a": STR}), obj({"a": {**STR, "maxLength": 5}}),
                 "$.a: maxLength tightened to 5", id="maxLength-added"),
    pytest.param(obj({"a": {**INT, "maximum": 10}}), obj({"a": {**INT, "maximum": 9}}),
                 "$.a: maximum tightened to 9", id="maximum-decreased"),
    pytest.param(obj({"a": {**INT, "exclusiveMinimum": 0}}),
                 obj({"a": {**INT, "exclusiveMinimum": 1}}),
                 "$.a: exclusiveMinimum tightened to 1", id="exclusiveMinimum-increased"),
    pytest.param(obj({"a": {"type": "array", "items": INT, "maxItems": 64}}),
                 obj({"a": {"type": "array", "items": INT, "maxItems": 8}}),
                 "$.a: maxItems tightened to 8", id="maxItems-decreased"),
    pytest.param(obj({"a": {**STR, "minLength": 1}}), obj({"a": {**STR, "minLength": 2}}),
                 "$.a: minLength tightened to 2", id="minLength-increased"),
    pytest.param(obj({"a": {**INT, "minimum": 0}}), obj({"a": {**INT, "minimum": 1}}),
                 "$.a: minimum tightened to 1", id="minimum-increased"),
    pytest.param(obj({"a": {"type": "array", "items": INT}}),
                 obj({"a": {"type": "array", "items": INT, "minItems": 1}}),
                 "$.a: minItems tightened to 1", id="minItems-added"),
    pytest.param(obj({"a": {**STR, "pattern": "^[a-z]+$"}}),
                 obj({"a": {**STR, "pattern": "^[a-z0-9]+$"}}),
                 "$.a: pattern changed", id="pattern-changed"),
    pytest.param(obj({"a": STR}), obj({"a": {**STR, "pattern": "^[a-z]+$"}}),
                 "$.a: pattern changed", id="pattern-added"),
    pytest.param(obj({"a": {**STR, "format": "date-time"}}), obj({"a": {**STR, "format": "uuid"}}),
                 "$.a: format changed to 'uuid'", id="format-changed"),
    pytest.param(obj({"a": {**STR, "enum": ["CNH", "USD"]}}), obj({"a": {**STR, "enum": ["CNH"]}}),
                 "$.a: values no longer accepted: ['\"USD\"']", id="enum-loses-value"),
    pytest.param(obj({"a": {**STR, "const": "v1"}}), obj({"a": {**STR, "const": "v2"}}),
                 "$.a: values no longer accepted", id="const-changed"),
    pytest.param(obj({"a": STR}), obj({"a": {**STR, "enum": ["x"]}}), "$.a: now restricted to",
                 id="enum-added"),
    pytest.param({**obj({"a": INT}), "additionalProperties": True}, obj({"a": INT}),
                 "$: additional properties are now forbidden", id="additionalProperties-false"),
    pytest.param(obj({"a": {"type": "object", "additionalProperties": STR}}),
                 obj({"a": {"type": "object", "additionalProperties": INT}}),
                 "$.a.*: type changed", id="map-values"),
    pytest.param(obj({"outer": obj({"inner": INT})}), obj({"outer": obj({"inner": STR})}),
                 "$.outer.inner: type changed", id="nested-object"),
    pytest.param(with_money(MONEY_DEF),
                 with_money(changed(MONEY_DEF, lambda m: m["required"].append("currency"))),
                 "$.payload.currency: became required", id="ref-def"),
    pytest.param(with_money(MONEY_DEF),
                 {"$ref": "#/$defs/Envelope", "$defs": {
                     "Envelope": obj({"payload": {"allOf": [{"$ref": "#/$defs/Money"}]}}),
                     "Money": changed(MONEY_DEF, lambda m: m["properties"].pop("currency"))}},
                 "$.payload.currency: property removed", id="ref-allOf-and-root-ref"),
    pytest.param(obj({"a": {"type": "array", "items": INT}}),
                 obj({"a": {"type": "array", "items": STR}}),
                 "$.a[]: type changed", id="array-items"),
    pytest.param(obj({"a": {"type": "array", "prefixItems": [INT, STR]}}),
                 obj({"a": {"type": "array", "prefixItems": [INT]}}),
                 "$.a: tuple length changed", id="tuple-length"),
    pytest.param(obj({"a": {"type": "array", "items": INT}}),
                 obj({"a": {"type": "array", "items": INT, "uniqueItems": True}}),
                 "$.a: items must now be unique", id="uniqueItems"),
    pytest.param(obj({"a": {"anyOf": [INT, STR]}}), obj({"a": {"anyOf": [INT]}}),
                 "$.a: string values are no longer accepted", id="anyOf-branch-removed"),
    pytest.param(obj({"a": {"anyOf": [{**STR, "maxLength": 9}, NULL]}}),
                 obj({"a": {"anyOf": [{**STR, "maxLength": 3}, NULL]}}),
                 "$.a: maxLength tightened to 3", id="anyOf-branch-tightened"),
    pytest.param(obj({"a": {"oneOf": [obj({"k": {"const": "x"}, "n": INT}),
                                      obj({"k": {"const": "y"}})]}}),
                 obj({"a": {"oneOf": [obj({"k": {"const": "x"}, "n": STR}),
                                      obj({"k": {"const": "y"}})]}}),
                 "$.a.n: type changed", id="oneOf-branch-changed"),
    pytest.param(tree(INT), tree(STR), "$.value: type changed", id="recursive-ref"),
    pytest.param(obj({"a": INT}), obj({"a": False}), "$.a: no value is accepted",
                 id="false-schema"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), BREAKING)
def test_breaking_changes_are_caught(
    old: dict[str, Any], new: dict[str, Any], expected: str
) -> None:
    problems = check_backward_compatible(old, new)
    assert any(problem.startswith(expected) for problem in problems), problems


COMPATIBLE = [
    pytest.param(obj({"a": INT}), obj({"a": INT, "b": NULLABLE_STR}), id="optional-added"),
    pytest.param(obj({"a": {**STR, "maxLength": 5}}), obj({"a": {**STR, "maxLength": 10}}),
                 id="maxLength-loosened"),
    pytest.param(obj({"a": {**STR, "maxLength": 5}}), obj({"a": STR}), id="maxLength-removed"),
    pytest.param(obj({"a": {**INT, "minimum": 1}}), obj({"a": {**INT, "minimum": 0}}),
                 id="minimum-loosened"),
    pytest.param(obj({"a": STR}), obj({"a": NULLABLE_STR}), id="null-added-as-anyOf"),
    pytest.param(obj({"a": STR}), obj({"a": {"type": ["string", "null"]}}),
                 id="null-added-to-type-list"),
    pytest.param(obj({"a": {"anyOf": [INT, STR]}}), obj({"a": {"anyOf": [INT, STR, NULL]}}),
                 id="null-added-to-union"),
    pytest.param(obj({"a": {"anyOf": [INT]}}), obj({"a": {"anyOf": [INT, STR]}}),
                 id="anyOf-branch-added"),
    pytest.param(obj({"a": {**STR, "enum": ["CNH"]}}), obj({"a": {**STR, "enum": ["CNH", "USD"]}}),
                 id="enum-gains-value"),
    pytest.param(obj({"a": INT}, ("a",)), obj({"a": INT}), id="no-longer-required"),
    pytest.param(obj({"a": INT}), {**obj({"a": INT}), "additionalProperties": True},
                 id="additionalProperties-allowed"),
    pytest.param(obj({"a": INT}, title="Old", description="old"),
                 obj({"a": {**INT, "description": "new"}}, title="New"), id="docs-only"),
    pytest.param(with_money(MONEY_DEF), with_money(MONEY_DEF, ref_name="Amount"),
                 id="def-renamed"),
    pytest.param(with_money(MONEY_DEF), obj({"payload": MONEY_DEF}, ("payload",)),
                 id="ref-inlined"),
    pytest.param(tree(INT), tree(INT), id="recursive-identical"),
    pytest.param(obj({"a": {"type": "array", "items": INT, "maxItems": 8}}),
                 obj({"a": {"type": "array", "items": INT, "maxItems": 64}}),
                 id="maxItems-loosened"),
    pytest.param(obj({"a": {**STR, "pattern": "^[a-z]+$"}}), obj({"a": STR}),
                 id="pattern-removed"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new"), COMPATIBLE)
def test_compatible_changes_pass(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert check_backward_compatible(old, new) == []


class TransferV1(Struct):
    amount: Money
    memo: str = Field(default="", max_length=50)


class TransferWithNote(Struct):
    amount: Money
    memo: str = Field(default="", max_length=100)
    note: str | None = None


class TransferWithoutMemo(Struct):
    amount: Money


def test_real_pydantic_schemas() -> None:
    v1 = TransferV1.model_json_schema()
    assert check_backward_compatible(v1, TransferWithNote.model_json_schema()) == []
    assert check_backward_compatible(v1, TransferWithoutMemo.model_json_schema()) == [
        "$.memo: property removed"
    ]
    assert check_backward_compatible(TransferWithNote.model_json_schema(), v1) == [
        "$.note: property removed",
        "$.memo: maxLength tightened to 50",
    ]


def test_every_committed_snapshot_is_compatible_with_itself() -> None:
    for path in SNAPSHOT_DIR.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert check_backward_compatible(schema, schema) == [], path.name
