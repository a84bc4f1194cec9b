"""Who may take a redemption id: once a quote was asked under it, only its customer and
wallet (the id is public from then on, on redemption.events). And what intake refuses of a
signed request before any service is asked: a passed deadline, a replayed signature, a quote
that expired before the request arrived."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas.redemption import RedemptionFailed
from services.redemption.domain.quotes import QuoteRequest
from services.redemption.domain.requests import claims, refuse, replayed, validate
from services.redemption.domain.state import Request
from tests.unit.redemption.saga_dsl import redemption


def quote_request(
    customer_id: uuid.UUID, wallet_id: uuid.UUID, amount_minor: int, payout_currency: str,
    quote_id: uuid.UUID | None, status: str, expires_at: dt.datetime | None = None,
) -> QuoteRequest:  # fmt: skip
    """A quote request as stored, of any redemption: intake reads only these terms."""
    return QuoteRequest(
        uuid.uuid4(), customer_id, wallet_id, amount_minor, payout_currency, quote_id, status,
        outcome=None, expires_at=expires_at,
    )  # fmt: skip


def test_only_the_quotes_holder_takes_a_quoted_redemption_id() -> None:
    request = redemption()
    quoted = quote_request(
        request.customer_id, request.wallet_id, request.amount.amount_minor, "USD",
        request.quote_id, "quoted",
    )  # fmt: skip
    assert claims(request, None), "an id nobody quoted is the first request's"
    assert claims(request, quoted)
    assert not claims(
        request, quote_request(uuid.uuid4(), request.wallet_id, 1, "USD", None, "quoted")
    )
    assert not claims(
        request, quote_request(request.customer_id, uuid.uuid4(), 1, "USD", None, "quoted")
    )


# --- the holder's signature at intake -------------------------------------------------

NOW = dt.datetime.fromtimestamp(redemption().deadline - 300, dt.UTC)


def intake(request: Request, now: dt.datetime, signed_for: uuid.UUID | None = None) -> str | None:
    """The refusal reason at intake, or None when the saga may start."""
    failure = replayed(request, signed_for) or validate(request, None, now)
    return failure.reason if failure else None


def test_a_signed_request_within_its_deadline_is_taken() -> None:
    request = redemption("CNH")
    assert intake(request, NOW) is None
    assert intake(request, dt.datetime.fromtimestamp(request.deadline, dt.UTC)) is None


def test_a_request_past_its_signed_deadline_is_refused() -> None:
    request = redemption("CNH")
    after = dt.datetime.fromtimestamp(request.deadline + 1, dt.UTC)
    assert intake(request, after) == "signature_expired"


def test_a_signature_another_redemption_carried_is_refused_as_replayed() -> None:
    request = redemption("CNH")
    assert intake(request, NOW, signed_for=uuid.uuid4()) == "signature_replayed"
    # its own redemption id again: a repeated request, answered as the first one was
    assert intake(request, NOW, signed_for=request.redemption_id) is None


def test_a_refused_request_ends_before_it_starts_with_its_reason() -> None:
    request = redemption("CNH")
    failure = replayed(request, uuid.uuid4())
    assert failure is not None
    decision = refuse(request, failure, NOW)
    assert isinstance(decision.outcome, RedemptionFailed)
    assert decision.outcome.reason == "signature_replayed"
    assert decision.sends == ()


# --- the firm quote at intake ---------------------------------------------------------


def quoted(request: Request, expires_at: dt.datetime | None) -> QuoteRequest:
    return quote_request(
        request.customer_id, request.wallet_id, request.amount.amount_minor,
        request.payout_currency, request.quote_id, "quoted", expires_at,
    )  # fmt: skip


def test_a_request_that_arrives_before_its_quote_expires_is_taken() -> None:
    request = redemption("USD")
    expires = NOW + dt.timedelta(seconds=30)
    assert validate(request, quoted(request, expires), arrived=NOW) is None
    just_in_time = expires - dt.timedelta(microseconds=1)
    assert validate(request, quoted(request, expires), arrived=just_in_time) is None


def test_a_request_that_arrives_at_or_after_its_quote_expires_is_refused_at_intake() -> None:
    request = redemption("USD")
    expires = NOW + dt.timedelta(seconds=30)
    for arrived in (expires, expires + dt.timedelta(seconds=1)):
        failure = validate(request, quoted(request, expires), arrived=arrived)
        assert failure is not None
        assert failure.reason == "quote_expired"
        assert expires.isoformat() in failure.detail


def test_a_quote_stored_without_its_expiry_is_left_to_fx_to_judge() -> None:
    request = redemption("USD")
    assert validate(request, quoted(request, None), arrived=NOW) is None
