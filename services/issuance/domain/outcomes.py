"""What a decision answers: go ahead, answer as before, record a cancellation, or refuse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R", bound=str, covariant=True)


@dataclass(frozen=True, slots=True)
class Refusal(Generic[R]):
    """A business rejection: a reason code the sender branches on, and words for people."""

    reason: R
    detail: str


@dataclass(frozen=True, slots=True)
class Proceed:
    """Apply the command: move tokens."""


@dataclass(frozen=True, slots=True)
class Replay:
    """Already done under another command id: answer with the original outcome."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """Nothing to release yet: record the redemption as cancelled."""


PROCEED, REPLAY, CANCEL = Proceed(), Replay(), Cancel()
