"""What the runtime says about an exception in a log line or a dead letter: never the data.

A PostgreSQL error's words quote the row it is about: a check violation's DETAIL is
"Failing row contains (<every column>)", a unique violation's "Key (x)=(<value>)", and many
messages quote the offending input ('invalid input syntax for type uuid: "..."'). The row
may be a customer's particulars, so such an error is reduced to what names the problem
without repeating it: its class, SQLSTATE, and the constraint, schema, table, column and
type names. A pydantic error is reduced to its locations and kinds (its text quotes the
input). `describe` is used wherever the runtime logs or dead-letters an exception, and the
logging processor `redact` (services/runtime/logging.py) is the net for any other path.
"""

from __future__ import annotations

import re

import asyncpg
from pydantic import ValidationError

_MAX_CHARS = 1_000
_POSTGRES_NAMES = (
    ("constraint", "constraint_name"),
    ("schema", "schema_name"),
    ("table", "table_name"),
    ("column", "column_name"),
    ("type", "data_type_name"),
)


def describe(exc: BaseException) -> str:
    """`exc` in words that carry no value: for logs and dead letters."""
    name = type(exc).__name__
    if isinstance(exc, asyncpg.PostgresError):
        return f"{name}: {postgres_summary(exc)}"
    if isinstance(exc, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['type']}"
            for error in exc.errors(include_input=False, include_url=False, include_context=False)
        )
        return f"{name}: {fields}"[:_MAX_CHARS]
    return scrub(f"{name}: {exc}")[:_MAX_CHARS]


def postgres_summary(exc: asyncpg.PostgresError) -> str:
    parts = [f"sqlstate {getattr(exc, 'sqlstate', None) or 'unknown'}"]
    for label, attribute in _POSTGRES_NAMES:
        value = getattr(exc, attribute, None)
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


# The shapes PostgreSQL quotes values in, for text that reaches a log by another path (a
# traceback, a library's own message).
_SCRUBS = (
    (re.compile(r"DETAIL:[^\n]*"), "DETAIL: (withheld)"),
    (re.compile(r"Failing row contains \([^\n]*"), "Failing row contains (withheld)"),
    (re.compile(r"Key \(([^)\n]*)\)=\([^\n]*"), r"Key (\1)=(withheld)"),
    (re.compile(r"(invalid input (?:syntax|value) for [^:\n]*): \"[^\n]*\""), r"\1: (withheld)"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text
