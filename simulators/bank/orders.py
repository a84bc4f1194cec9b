"""Payment orders: what the bank books for one and what its status is at a given time.

Pure: the fate of an order follows its beneficiary's account ending (the sandbox table in
behaviours.py) and the rail's delay; repository.py stores it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.bank.behaviours import Behaviour, behaviour_of

Rail = Literal["FPS", "CHATS", "RTGS", "SWIFT"]
"""The payment systems the bank executes orders on (its API's own names, not its client's)."""
Status = Literal["accepted", "settled", "rejected", "returned"]
Direction = Literal["debit", "credit"]


class Beneficiary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_number: str = Field(min_length=5, max_length=34)
    bank_code: str = Field(min_length=1, max_length=11)
    holder_name: str = Field(min_length=1, max_length=140)


class OrderRequest(BaseModel):
    """The body of POST /v1/payment-orders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount_minor: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    beneficiary: Beneficiary
    remittance: str = Field(default="", max_length=140)
    rail: Rail
    end_to_end_id: uuid.UUID | None = None
    """The payer's own id of the payment (ISO 20022 end-to-end id), carried to the statement."""

    def digest(self) -> str:
        """Same body, same digest: how a re-submission under one key is told from a reuse."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


FILE_MAX_ORDERS = 1000
"""The most payment orders one file may carry (a bigger batch is sent as several files)."""


class FileEntry(BaseModel):
    """One order of a payment file, under its own idempotency key (as its header would be)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=255)
    order: OrderRequest


class PaymentFile(BaseModel):
    """The body of POST /v1/payment-files: many orders in one submission (as an ISO 20022
    pain.001 file carries many transactions). Each entry is checked on its own, so one bad
    entry is refused without refusing the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    orders: list[dict[str, object]] = Field(min_length=1, max_length=FILE_MAX_ORDERS)


class AccountCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_number: str = Field(min_length=5, max_length=34)
    bank_code: str = Field(min_length=1, max_length=11)
    holder_name: str = Field(min_length=1, max_length=140)


@dataclass(frozen=True, slots=True)
class Delays:
    settle_s: float
    late_s: float
    return_s: float

    def of_rail(self, rail: Rail) -> float:
        return {"FPS": 0.0, "SWIFT": 2 * self.settle_s}.get(rail, self.settle_s)


@dataclass(frozen=True, slots=True)
class Line:
    """A booking on the issuer's account, shown on statements from `booked_at` on."""

    bank_reference: str
    direction: Direction
    booked_at: dt.datetime
    description: str


@dataclass(frozen=True, slots=True)
class Order:
    order_id: uuid.UUID
    bank_reference: str
    behaviour: Behaviour
    created_at: dt.datetime
    settles_at: dt.datetime | None
    """When it settles (or, for "beneficiary_rejects", is refused by the other bank)."""
    returns_at: dt.datetime | None
    refused: str | None
    """Refused at submission: the reason (no money moved)."""

    @property
    def answered(self) -> bool:
        """Whether the bank answers the submission at all (the sandbox's timeouts do not)."""
        return self.behaviour not in {"timeout_executed", "timeout_lost"}

    @property
    def booked(self) -> bool:
        """Whether the bank keeps it: a lost order never reached its books."""
        return self.behaviour != "timeout_lost"


def new_order(request: OrderRequest, now: dt.datetime, delays: Delays) -> Order:
    behaviour = behaviour_of(request.beneficiary.account_number)
    order_id = uuid.uuid4()
    reference = f"{request.rail}-{order_id.hex[:20].upper()}"
    if behaviour in {"invalid_account", "closed_account"}:
        return Order(order_id, reference, behaviour, now, None, None, behaviour)
    delay = delays.late_s if behaviour == "settles_late" else delays.of_rail(request.rail)
    settles_at = now + dt.timedelta(seconds=delay)
    returns_at = (
        settles_at + dt.timedelta(seconds=delays.return_s) if behaviour == "returned" else None
    )
    return Order(order_id, reference, behaviour, now, settles_at, returns_at, None)


def lines_of(order: Order, request: OrderRequest) -> list[Line]:
    """What the bank books: the debit once it settles, the credit back once returned."""
    if order.refused or order.behaviour == "beneficiary_rejects" or order.settles_at is None:
        return []
    where = f"{request.rail} {request.beneficiary.bank_code}"
    lines = [Line(order.bank_reference, "debit", order.settles_at, f"payment {where}"[:140])]
    if order.returns_at is not None:
        reference = f"RTN-{order.bank_reference}"[:35]
        lines.append(Line(reference, "credit", order.returns_at, f"return {where}"[:140]))
    return lines


def status_at(order: Order, now: dt.datetime) -> tuple[Status, str | None]:
    """The order's status and its reason, as the bank reports it at `now`."""
    if order.refused:
        return "rejected", order.refused
    if order.settles_at is None or now < order.settles_at:
        return "accepted", None
    if order.behaviour == "beneficiary_rejects":
        return "rejected", "beneficiary_bank_rejected"
    if order.returns_at is not None and now >= order.returns_at:
        return "returned", "account_closed_after_credit"
    return "settled", None
