"""The payout state machine (one payout per redemption, or per refunded deposit).

    ordered at the bank: sent ──settle──> settled ──return──> returned
                          │                  ^
                          └──fail──> failed  │
    no answer in time: unknown ──settle──────┘  (found on the statement)
                          └──fail──> failed    (a statement after the grace period lacks it)
    refused before execution: rejected (no money moved, no journal entry)

A transition for a state already reached is a duplicate (a notice delivered twice, or by
both the notice and the statement): no second effect. Any other transition is a conflict,
recorded for an operator and never applied (e.g. a settlement notice for a failed payout).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from schemas.sealed import digest
from schemas.settlement import BankAccount, PayoutState

State = Literal["sent", "unknown", "settled", "failed", "rejected", "returned"]
Event = Literal["settle", "fail", "return"]
Decision = Literal["apply", "duplicate", "conflict"]

_TARGET: dict[Event, State] = {"settle": "settled", "fail": "failed", "return": "returned"}
_ALLOWED: dict[Event, frozenset[State]] = {
    "settle": frozenset({"sent", "unknown"}),
    "fail": frozenset({"sent", "unknown"}),
    "return": frozenset({"settled"}),
}
OPEN_STATES: frozenset[State] = frozenset({"sent", "unknown"})


def target(event: Event) -> State:
    return _TARGET[event]


def decide(current: State, event: Event) -> Decision:
    if current in _ALLOWED[event]:
        return "apply"
    if current == _TARGET[event]:
        return "duplicate"
    return "conflict"


def public_state(state: State) -> PayoutState:
    """What QueryPayout answers: a payout failed after acceptance is, for the saga, a
    rejection (no money left)."""
    return "rejected" if state == "failed" else state


def account_digest(account: BankAccount | None) -> str:
    """What stands for a refund's payer on its payout, where the account is not kept: the
    order carries the account in memory only."""
    return digest(account.model_dump_json().encode() if account else b"")


Resolution = Literal["resubmit", "fail", "wait"]


def resolve_unanswered(
    kind: str, at_bank: str | None, age: dt.timedelta, grace: dt.timedelta
) -> Resolution:
    """What to do with a payout the bank gave no answer for, by what the bank says of it now
    (`at_bank`: its order's state there, None if it holds no such order):

    - no such order: the submission never reached its books; submitted again (same
      idempotency key: never paid twice), but only well inside `grace`: after it,
      reconciliation declares the payout never executed, and a late execution would pay a
      failed payout. A refund's payer is not kept to submit again: it waits, too;
    - rejected: the bank refused it, no money left: it fails;
    - accepted, settled, returned: its notice or the statement tells (wait)."""
    if at_bank is None:
        return "resubmit" if kind == "redemption" and age < grace / 2 else "wait"
    return "fail" if at_bank == "rejected" else "wait"
