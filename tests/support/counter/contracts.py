"""The counter service's messages (test-only contracts, not part of `schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from schemas import Message

Account = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Add(Message):
    TYPE = "test.counter.add"
    account: Account
    amount: int = Field(ge=0, le=10**12)
    delay_ms: int = Field(default=0, ge=0, le=10_000)
    """Holds the transaction open this long: a slow handler, for kill-mid-batch tests."""


class Added(Message):
    TYPE = "test.counter.added"
    account: Account
    amount: int
    total: int
