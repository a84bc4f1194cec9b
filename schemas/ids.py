"""Identifiers and bounded text shared by every contract.

Every step of a flow derives its idempotency key from the flow's one request id, so a
re-sent command carries the same id and a receiver can recognise it (see `derive_id`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

# Fixed namespace: derived ids must be the same in every process and every release.
_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e8f-9a0b-1c2d3e4f5a6b")

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_.-]*$")
]
"""A machine name: service, topic, consumer group (lower case, no spaces)."""

NUL = "\x00"


def _refuse_nul(text: str) -> str:
    # PostgreSQL text and jsonb cannot store U+0000: a value carrying one would pass every
    # other check and fail the receiver's INSERT, so it is refused with the message instead.
    if NUL in text:
        raise PydanticCustomError("nul_character", "NUL characters (U+0000) are not allowed")
    return text


NulFree = AfterValidator(_refuse_nul)
"""The rule of every string field whose other constraints let U+0000 through (a pattern
of explicit characters already refuses it): `Annotated[str, ..., NulFree]`.
tests/unit/schemas/test_text.py checks that no string field of any contract lacks both.
Not shown in the JSON Schema (see below)."""
# A pattern would show the rule, but JSON Schema allows one pattern per field, so every
# constrained field would need its pattern rewritten (a breaking change to the snapshot
# checker, `pattern` must stay exact) for a value no receiver could ever store anyway.


def without_nul(text: str) -> str:
    """`text` made acceptable to a free-text field: for the runtime's own words about a
    record (an exception, a field name), which may quote what the sender wrote."""
    return text.replace(NUL, "\ufffd")


Text = Annotated[str, StringConstraints(max_length=2_000), NulFree]
"""Free text for people (reasons, notes); bounded so a message cannot grow without limit."""

ReasonCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]
"""A machine-readable reason (snake_case) that a sender can branch on."""


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def derive_id(parent: uuid.UUID, *path: str) -> uuid.UUID:
    """The deterministic id of a step of the flow `parent` (e.g. a redemption's hold command).

    The same parent and path always give the same id, so a retry is recognisable as a retry.
    """
    if not path:
        raise ValueError("derive_id needs at least one path element")
    return uuid.uuid5(_NAMESPACE, "/".join((str(parent), *path)))
