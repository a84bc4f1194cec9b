"""Backward-compatibility rules between two JSON Schemas of one message (our schema registry).

A change is breaking when data written under the OLD schema may be refused under the NEW one
(extra fields are forbidden, so the new schema is also what readers enforce), or when the new
producer's data differs in a way old readers cannot take: any change of a JSON type except
adding "null". The comparison is structural, on the schemas pydantic generates; it may report
a change as breaking that a human could prove harmless, never the other way round for the
keywords it knows.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemas.message import MESSAGE_TYPES, Message

Schema = dict[str, Any]

# Keywords whose value bounds the data from above or below: a tighter bound is breaking.
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
# Keywords that must stay exactly as they were once present.
_EXACT = ("pattern", "format", "multipleOf")
_UNION = ("anyOf", "oneOf")
_TOOLING_MODULES = frozenset({"schemas.snapshot"})


def load_all_contracts() -> dict[str, type[Message]]:
    """Import every module of the `schemas` package so all message types are registered.

    Returns the registered contracts of the package (not test-only or service-local types).
    """
    import schemas

    for module in pkgutil.walk_packages(schemas.__path__, prefix="schemas."):
        if module.name not in _TOOLING_MODULES:
            importlib.import_module(module.name)
    return {
        name: cls
        for name, cls in sorted(MESSAGE_TYPES.items())
        if cls.__module__.split(".", 1)[0] == "schemas"
    }


def check_backward_compatible(old: Schema, new: Schema) -> list[str]:
    """The problems of replacing schema `old` with `new`; an empty list means compatible.

    Each problem starts with the JSON path of the data it concerns ("$.payload.amount").
    """
    walk = _Walk(old_root=old, new_root=new)
    walk.compare(old, new, "$")
    return walk.problems


@dataclass
class _Walk:
    old_root: Schema
    new_root: Schema
    problems: list[str] = field(default_factory=list)
    # Pairs of $refs being compared: a recursive type is compared once (assumed compatible
    # while its own comparison is still in progress).
    _active: set[tuple[str, str]] = field(default_factory=set)

    def compare(self, old: Any, new: Any, path: str) -> None:
        if old is False or new is True:
            return  # nothing was valid before, or everything is valid now
        if new is False:
            self.problems.append(f"{path}: no value is accepted any more")
            return
        old, old_ref = _resolve(self.old_root, _as_schema(old))
        new, new_ref = _resolve(self.new_root, _as_schema(new))
        key = (old_ref, new_ref)
        if old_ref and new_ref:
            if key in self._active:
                return
            self._active.add(key)
        try:
            if any(k in old or k in new for k in _UNION):
                self._compare_union(old, new, path)
            else:
                self._compare_plain(old, new, path)
        finally:
            self._active.discard(key)

    def _compare_union(self, old: Schema, new: Schema, path: str) -> None:
        """Every old branch must still be accepted by some new branch."""
        new_branches = _branches(new)
        for index, old_branch in enumerate(_branches(old)):
            attempts = [self._trial(old_branch, branch, path) for branch in new_branches]
            if any(not problems for problems in attempts):
                continue
            types = _types(_resolve(self.old_root, _as_schema(old_branch))[0])
            similar = [
                problems
                for branch, problems in zip(new_branches, attempts, strict=True)
                if _types(_resolve(self.new_root, _as_schema(branch))[0]) == types
            ]
            if similar:  # the same kind of value, changed: say how
                closest: list[str] = min(similar, key=len)
                self.problems.extend(closest)
            else:
                shown = "/".join(sorted(types)) or f"variant {index}"
                self.problems.append(f"{path}: {shown} values are no longer accepted")

    def _trial(self, old: Any, new: Any, path: str) -> list[str]:
        trial = _Walk(self.old_root, self.new_root, _active=set(self._active))
        trial.compare(old, new, path)
        return trial.problems

    def _compare_plain(self, old: Schema, new: Schema, path: str) -> None:
        self._compare_types(old, new, path)
        self._compare_values(old, new, path)
        self._compare_bounds(old, new, path)
        if _is_object(old) or _is_object(new):
            self._compare_objects(old, new, path)
        if _is_array(old) or _is_array(new):
            self._compare_arrays(old, new, path)

    def _compare_types(self, old: Schema, new: Schema, path: str) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types == new_types:
            return
        if old_types and new_types >= old_types and new_types - old_types == {"null"}:
            return  # becoming nullable: the one type change we accept
        shown_old = "/".join(sorted(old_types)) or "any"
        shown_new = "/".join(sorted(new_types)) or "any"
        self.problems.append(f"{path}: type changed from {shown_old} to {shown_new}")

    def _compare_values(self, old: Schema, new: Schema, path: str) -> None:
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if new_values is None:
            return
        if old_values is None:
            self.problems.append(f"{path}: now restricted to {sorted(new_values)}")
            return
        lost = old_values - new_values
        if lost:
            self.problems.append(f"{path}: values no longer accepted: {sorted(lost)}")

    def _compare_bounds(self, old: Schema, new: Schema, path: str) -> None:
        for keyword in _UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                self.problems.append(f"{path}: {keyword} tightened to {new[keyword]}")
        for keyword in _LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                self.problems.append(f"{path}: {keyword} tightened to {new[keyword]}")
        for keyword in _EXACT:
            if keyword in new and new.get(keyword) != old.get(keyword):
                self.problems.append(f"{path}: {keyword} changed to {new[keyword]!r}")
        if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
            self.problems.append(f"{path}: items must now be unique")

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        old_required = set(old.get("required", ()))
        for name in old_props:
            if name not in new_props:
                self.problems.append(f"{_join(path, name)}: property removed")
        for name in new.get("required", ()):
            if name not in old_required:
                what = "became required" if name in old_props else "new required property"
                self.problems.append(f"{_join(path, name)}: {what}")
        for name in old_props.keys() & new_props.keys():
            self.compare(old_props[name], new_props[name], _join(path, name))
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            self.problems.append(f"{path}: additional properties are now forbidden")
        elif new_extra is not False and old_extra is not False:
            self.compare(old_extra, new_extra, f"{path}.*")

    def _compare_arrays(self, old: Schema, new: Schema, path: str) -> None:
        old_prefix: list[Any] = old.get("prefixItems", [])
        new_prefix: list[Any] = new.get("prefixItems", [])
        if len(old_prefix) != len(new_prefix):
            self.problems.append(f"{path}: tuple length changed")
        for index, (old_item, new_item) in enumerate(zip(old_prefix, new_prefix, strict=False)):
            self.compare(old_item, new_item, f"{path}[{index}]")
        self.compare(old.get("items", True), new.get("items", True), f"{path}[]")


def _as_schema(node: Any) -> Schema:
    if node is True:
        return {}
    if isinstance(node, dict):
        return node
    raise TypeError(f"not a JSON Schema node: {type(node).__name__}")


def _resolve(root: Schema, node: Schema) -> tuple[Schema, str]:
    """`node` with a local $ref (and a one-element allOf, pydantic's older form) inlined.

    Keywords beside the $ref (a description, a default) are kept; returns the ref followed.
    """
    seen: list[str] = []
    while True:
        if "allOf" in node and len(node["allOf"]) == 1:
            rest = {k: v for k, v in node.items() if k != "allOf"}
            node = {**_as_schema(node["allOf"][0]), **rest}
            continue
        ref = node.get("$ref")
        if ref is None:
            return node, "|".join(seen)
        if ref in seen:
            raise ValueError(f"$ref cycle without content: {ref}")
        seen.append(ref)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**_pointer(root, ref), **rest}


def _pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported: {ref}")
    target: Any = root
    for part in (p for p in ref[1:].split("/") if p):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            raise ValueError(f"unresolvable $ref: {ref}")
        target = target[part]
    return _as_schema(target)


def _branches(node: Schema) -> list[Any]:
    branches: list[Any] = []
    for keyword in _UNION:
        branches.extend(node.get(keyword, ()))
    return branches or [{k: v for k, v in node.items() if k not in _UNION}]


def _types(node: Schema) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    if "const" in node or "enum" in node:  # pydantic omits "type" for some enums
        return {_json_type(value) for value in _iter_values(node)}
    return set()


def _allowed_values(node: Schema) -> set[str] | None:
    if "const" not in node and "enum" not in node:
        return None
    return {json.dumps(value, sort_keys=True) for value in _iter_values(node)}


def _iter_values(node: Schema) -> Iterator[Any]:
    if "const" in node:
        yield node["const"]
    yield from node.get("enum", ())


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is_object(node: Schema) -> bool:
    return "object" in _types(node) or "properties" in node


def _is_array(node: Schema) -> bool:
    return "array" in _types(node) or "items" in node or "prefixItems" in node


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() else f"{path}[{json.dumps(name)}]"
