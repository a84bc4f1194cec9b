"""Identifiers and bounded text shared by every contract.

Every step of a flow derives its idempotency key from the flow's one request id, so a
re-sent command carries the same id and a receiver can recognise it (see `derive_id`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import StringConstraints

# Fixed namespace: derived ids must be the same in every process and every release.
_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e8f-9a0b-1c2d3e4f5a6b")

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_.-]*$")
]
"""A machine name: service, topic, consumer group (lower case, no spaces)."""

Text = Annotated[str, StringConstraints(max_length=2_000)]
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
