"""What the saga knows about one redemption: the request, where it stands, what it got."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.kyc import EvmSignature
from schemas.money import Money, par_cnh


class Status(StrEnum):
    RUNNING = "RUNNING"
    """Forward steps, up to and including the payout."""
    RECONCILING = "RECONCILING"
    """The payout's outcome is unknown: its status is being queried."""
    COMPENSATING = "COMPENSATING"
    """Undoing the steps taken, newest first."""
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    """Compensated: every movement before the failure undone."""
    NEEDS_REVIEW = "NEEDS_REVIEW"
    """Parked for an operator with the reason."""


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.NEEDS_REVIEW})

Phase = Literal["do", "undo", "query"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Request(_Model):
    """A validated redeem request; the redemption id is the saga's id and idempotency key."""

    redemption_id: uuid.UUID
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount: Money
    payout_currency: str
    quote_id: uuid.UUID | None
    beneficiary_account_id: uuid.UUID
    """The customer's verified account (KYC checks it at step 1, settlement at the payout):
    the saga never holds an account's details."""
    deadline: int
    """Unix seconds: the holder's approval (the signature) is good until then."""
    signature: EvmSignature
    """The holder's EIP-712 signature of the terms above; KYC checks it (step 1)."""
    accepted_at: dt.datetime | None = None
    """When the request arrived (the broker's stamp): its quote and signed deadline are
    judged then, at intake and by every step after, however long the saga takes. None for
    sagas accepted before acceptance times (each step then judges by its own clock)."""

    @property
    def par_value(self) -> Money:
        return par_cnh(self.amount)

    @property
    def converts(self) -> bool:
        return self.payout_currency != self.par_value.currency


class Failure(_Model):
    reason: str
    detail: str


class Results(_Model):
    """What the steps returned, for the next steps and for the timeline."""

    reservation_id: uuid.UUID | None = None
    hold_id: uuid.UUID | None = None
    conversion_id: uuid.UUID | None = None
    payout_id: uuid.UUID | None = None
    paid: Money | None = None
    burn_id: uuid.UUID | None = None


class Saga(_Model):
    request: Request
    status: Status
    step: int
    """Index into the saga definition of the step being done, undone or queried."""
    phase: Phase
    attempt: int
    """Sends of the pending command so far (a re-send keeps the command id)."""
    pending: uuid.UUID | None
    """The id of the command whose reply is awaited: other replies are stale."""
    deadline: dt.datetime | None
    since: dt.datetime | None = None
    """When the pending command was first sent (its re-sends keep it): how long the step
    has waited for delivery is measured from here. None for sagas from before."""
    waiting: bool = False
    """The pending command has not reached its receiver yet: its deadline is held back
    (decide.on_deadline), and its attempt's time starts once it has."""
    started: tuple[int, ...] = ()
    """Steps whose forward command was sent (in flight or done): what compensation undoes."""
    to_undo: tuple[int, ...] = ()
    failure: Failure | None = None
    results: Results = Results()
    salt: str | None = Field(default=None, repr=False)
    """A random secret drawn when the saga started: every command id derives from it too,
    so nobody who learns the redemption id can compute them and send a command first under
    one (its receiver would replay that command's refusal to the saga). None for sagas
    started before salts, which keep the ids they already sent."""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL
