"""Given / expect command / reply / expect: tests that read like the sequence diagram."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas import Message
from schemas.fx import ConversionExecuted
from schemas.issuance import Burned, HoldPlaced
from schemas.kyc import Eligible
from schemas.money import Money, par_cnh
from schemas.settlement import PayoutSent, PayoutState, PayoutStatus, ReserveReleased
from services.redemption.domain.decide import Decision, Send, Timing, on_deadline, on_reply, start
from services.redemption.domain.state import Request, Saga, Status

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TIMING = Timing(
    step_timeout_s=5,
    max_attempts=3,
    max_backoff_s=20,
    query_interval_s=2,
    max_queries=4,
    retriable_attempts=5,
    patience_s=60,
    recheck_s=1,
)
TOKENS = Money(amount_minor=1_000_000_000, currency="XCNH")  # 1,000 XCNH
PAR = par_cnh(TOKENS)


def redemption(payout_currency: str = "USD") -> Request:
    return Request(
        redemption_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        wallet_id=uuid.uuid4(),
        amount=TOKENS,
        payout_currency=payout_currency,
        quote_id=None if payout_currency == "CNH" else uuid.uuid4(),
        beneficiary_account_id=uuid.uuid4(),
        deadline=int(T0.timestamp()) + 300,
        signature="0x" + "5a" * 65,  # the saga carries it; KYC checks it (tests/unit/kyc)
    )


class Scenario:
    def __init__(self, request: Request, salt: str = "5a17") -> None:
        self.request = request
        self.now = T0
        self.decision = start(request, self.now, TIMING, salt)
        self.sent: list[Send] = list(self.decision.sends)

    @property
    def saga(self) -> Saga:
        return self.decision.saga

    def _apply(self, decision: Decision) -> None:
        self.decision = decision
        self.sent.extend(decision.sends)

    def expect_command(self, message_type: type[Message], *, topic: str | None = None) -> Send:
        sends = self.decision.sends
        assert [s.payload.TYPE for s in sends] == [message_type.TYPE], (
            f"expected {message_type.TYPE}, the saga sent {[s.payload.TYPE for s in sends]}"
        )
        if topic:
            assert sends[0].topic == topic
        return sends[0]

    def expect_nothing_sent(self) -> None:
        assert self.decision.sends == (), [s.payload.TYPE for s in self.decision.sends]

    def reply(self, payload: Message, *, to: Send | None = None) -> None:
        command = to or self.sent[-1]
        self._apply(on_reply(self.saga, command.message_id, payload, self.now, TIMING))

    def time_passes(self, seconds: float, *, delivered: bool = True) -> None:
        """`delivered`: whether the pending command has reached its receiver by then."""
        self.now += dt.timedelta(seconds=seconds)
        self._apply(on_deadline(self.saga, self.now, TIMING, delivered=delivered))

    def expect_outcome(
        self, message_type: type[Message], status: Status, reason: str | None = None
    ) -> Message:
        outcome = self.decision.outcome
        assert outcome is not None
        assert outcome.TYPE == message_type.TYPE, outcome
        assert self.saga.status is status
        if reason is not None:
            assert getattr(outcome, "reason", None) == reason
        return outcome

    def expect_still(self, status: Status) -> None:
        assert self.saga.status is status
        assert self.decision.outcome is None


# --- the other services' answers ----------------------------------------------------

USD = Money(amount_minor=13_890, currency="USD")


def eligible(s: Scenario) -> Eligible:
    return Eligible(
        redemption_id=s.request.redemption_id, reservation_id=uuid.uuid4(), tier="standard"
    )


def hold_placed(s: Scenario) -> HoldPlaced:
    return HoldPlaced(
        redemption_id=s.request.redemption_id,
        hold_id=uuid.uuid4(),
        wallet_id=s.request.wallet_id,
        amount=TOKENS,
    )


def converted(s: Scenario) -> ConversionExecuted:
    assert s.request.quote_id is not None
    return ConversionExecuted(
        conversion_id=uuid.uuid4(),
        redemption_id=s.request.redemption_id,
        quote_id=s.request.quote_id,
        sold=PAR,
        bought=USD,
        rate="0.1389",
        fee=Money(amount_minor=0, currency="CNH"),
    )


def sent(s: Scenario) -> PayoutSent:
    return PayoutSent(
        redemption_id=s.request.redemption_id,
        payout_id=uuid.uuid4(),
        rail="SWIFT",
        bank_reference="BANK-1",
    )


def burned(s: Scenario) -> Burned:
    return Burned(
        redemption_id=s.request.redemption_id,
        burn_id=uuid.uuid4(),
        wallet_id=s.request.wallet_id,
        amount=TOKENS,
        supply_after=TOKENS,
    )


def released(s: Scenario) -> ReserveReleased:
    return ReserveReleased(redemption_id=s.request.redemption_id, amount=PAR, reserve_after=PAR)


def status(s: Scenario, state: PayoutState) -> PayoutStatus:
    return PayoutStatus(
        redemption_id=s.request.redemption_id, payout_id=uuid.uuid4(), state=state, detail=""
    )
