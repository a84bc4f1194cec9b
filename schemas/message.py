"""The base of every message body and the registry of message types.

A message class names its wire type and schema version once; the envelope, the codec and
the JSON Schema snapshots are all derived from that.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
"""A wire type, "<owner>.<snake_name>"; it also names the snapshot file, so no path characters."""
MAX_VERSION = 1_000
"""The envelope's `schema_version` bound."""

_TYPE_RE = re.compile(TYPE_PATTERN)


class Struct(BaseModel):
    """A value inside a message: immutable, strict, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Message(Struct):
    """A message body.

    Subclasses set `TYPE` ("<owner>.<snake_name>") and `VERSION`; a backward-compatible change
    keeps the type and bumps nothing, an incompatible one needs a new version and a migration
    plan (tests/unit/schemas/test_compatibility.py enforces it against the snapshots).
    """

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # pydantic's hook runs once the class is fully built, so a class whose fields fail
        # to build never reaches the registry.
        super().__pydantic_init_subclass__(**kwargs)
        type_name = cls.__dict__.get("TYPE")
        if type_name is None:
            return  # an abstract intermediate class
        if not isinstance(type_name, str) or len(type_name) > 100 or not _TYPE_RE.match(type_name):
            raise TypeError(f"{cls.__qualname__}.TYPE must match {TYPE_PATTERN} (<= 100 chars)")
        version = cls.VERSION
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"{cls.__qualname__}.VERSION must be an int")
        if not 1 <= version <= MAX_VERSION:
            raise TypeError(f"{cls.__qualname__}.VERSION must be in 1..{MAX_VERSION}")
        if type_name in MESSAGE_TYPES and MESSAGE_TYPES[type_name] is not cls:
            existing = MESSAGE_TYPES[type_name].__qualname__
            raise TypeError(f"message type {type_name!r} already registered by {existing}")
        MESSAGE_TYPES[type_name] = cls


MESSAGE_TYPES: dict[str, type[Message]] = {}
"""Every concrete message class by wire type; filled as modules define them."""
