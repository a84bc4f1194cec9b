"""Who may take a redemption id: once a quote was asked under it, only its customer and
wallet (the id is public from then on, on redemption.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.redemption.domain.requests import claims
from tests.unit.redemption.saga_dsl import redemption


@dataclass(frozen=True)
class Quote:
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    amount_minor: int
    payout_currency: str
    quote_id: uuid.UUID | None
    status: str


def test_only_the_quotes_holder_takes_a_quoted_redemption_id() -> None:
    request = redemption()
    quoted = Quote(
        request.customer_id, request.wallet_id, request.amount.amount_minor, "USD",
        request.quote_id, "quoted",
    )  # fmt: skip
    assert claims(request, None), "an id nobody quoted is the first request's"
    assert claims(request, quoted)
    assert not claims(request, Quote(uuid.uuid4(), request.wallet_id, 1, "USD", None, "quoted"))
    assert not claims(request, Quote(request.customer_id, uuid.uuid4(), 1, "USD", None, "quoted"))
