"""Payouts: at most one per redemption (or per refunded deposit), through the bank rail port,
and what the bank says afterwards (notices, statements) applied once.

- SendPayout: a payout already recorded for the redemption gets the answer of its current
  state, whatever the command id (idempotent by redemption id). A payout goes only to a
  verified account on file of the redemption's customer (use_cases/accounts.py), opened in
  memory for the order: any other is PayoutRejected(beneficiary_*), before the bank hears of
  it. Otherwise the order goes to the bank: refused -> PayoutRejected (the only outcome the
  saga may compensate); accepted -> PayoutSent; no answer -> PayoutOutcomeUnknown (booked as
  ordered: the money may have left; resolved by notices, QueryPayout and reconciliation,
  never compensated).
- settle / fail / return: transitions of domain/payouts.py, each with its journal entry, its
  history row and its event; a duplicate has no effect, a conflict is an anomaly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from schemas import Message, Money, derive_id
from schemas.sealed import OpeningKeys
from schemas.settlement import (
    BankAccount,
    DepositRefunded,
    DepositSuspended,
    PayoutFailed,
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutRejectReason,
    PayoutReturned,
    PayoutSent,
    PayoutSettled,
    PayoutStatus,
    QueryPayout,
    SendPayout,
)
from services.settlement.adapters.bank.port import (
    Accepted,
    BankRail,
    NoAnswer,
    PaymentOrder,
    Refused,
    SubmitResult,
)
from services.settlement.domain import ledger
from services.settlement.domain.accounts import NotPayable
from services.settlement.domain.deposits import Event as DepositEvent
from services.settlement.domain.payouts import Event, decide, public_state, target
from services.settlement.domain.rails import choose_rail
from services.settlement.repository.accounts import Accounts
from services.settlement.repository.ledger import Links
from services.settlement.repository.payouts import Payout, PayoutBook
from services.settlement.use_cases import deposits
from services.settlement.use_cases.accounts import payee
from services.settlement.use_cases.journal import links, post
from services.settlement.use_cases.work import Accounts as AccountsOnFile
from services.settlement.use_cases.work import SettlementWork

EVENTS = "settlement.events"
PayoutReply = PayoutSent | PayoutRejected | PayoutOutcomeUnknown


def payout_id_for(redemption_id: uuid.UUID) -> uuid.UUID:
    return derive_id(redemption_id, "payout")


async def send_payout(work: SettlementWork, command: SendPayout) -> PayoutReply:
    requested_at = work.occurred_at
    existing = await work.payouts.get(command.redemption_id)
    if existing is not None:
        return answer(existing)
    beneficiary = await payee(
        work.accounts, work.terms.keys, command.customer_id, command.beneficiary_account_id
    )
    if isinstance(beneficiary, NotPayable):
        payout = _with(
            _new_payout(command, requested_at, None),
            state="rejected",
            detail=f"{beneficiary.reason}: {beneficiary.detail}",
        )
        await _record_new(work, payout, "beneficiary_refused")
        return answer(payout)
    payout = _new_payout(command, requested_at, beneficiary)
    if payout.rail is None or command.amount.amount_minor == 0:
        why = "no bank rail pays it" if payout.rail is None else "a zero amount"
        payout = _with(payout, state="rejected", detail=f"unsupported_currency: {why}")
        await _record_new(work, payout, "no_rail")
        return answer(payout)
    payout = await _order(work, payout, beneficiary, _remittance(command))
    return answer(payout)


async def query_payout(work: SettlementWork, query: QueryPayout) -> PayoutStatus:
    return status(query.redemption_id, await work.payouts.get(query.redemption_id, lock=False))


async def submit_ahead(
    book: PayoutBook,
    accounts: Accounts,
    commands: Sequence[tuple[SendPayout, dt.datetime]],
    bank: BankRail,
    keys: OpeningKeys,
) -> dict[uuid.UUID, SubmitResult]:
    """The batch's new payment orders in one bulk submission, before its handlers run: the
    bank's answers, by instruction id, for `send_payout` to use (through AnsweredAhead)."""
    if not commands:
        return {}
    await book.lock_all(command.redemption_id for command, _ in commands)
    await accounts.load(command.beneficiary_account_id for command, _ in commands)
    orders = []
    for command, requested_at in commands:
        if book.exists(command.redemption_id) or command.amount.amount_minor == 0:
            continue
        beneficiary = await payee(
            accounts, keys, command.customer_id, command.beneficiary_account_id
        )
        if isinstance(beneficiary, NotPayable):
            continue
        payout = _new_payout(command, requested_at, beneficiary)
        if payout.rail is not None:
            orders.append(_payment_order(payout, beneficiary, _remittance(command)))
    return await bank.submit_all(orders) if orders else {}


def _new_payout(
    command: SendPayout, requested_at: dt.datetime, beneficiary: BankAccount | None
) -> Payout:
    return Payout(
        payout_id=payout_id_for(command.redemption_id),
        kind="redemption",
        redemption_id=command.redemption_id,
        deposit_id=None,
        amount=command.amount,
        par=command.par_value,
        beneficiary=None,  # on file, sealed: never copied onto the payout
        beneficiary_account_id=command.beneficiary_account_id,
        rail=choose_rail(command.amount, beneficiary.country) if beneficiary else None,
        bank_reference=None,
        state="rejected",
        detail="",
        requested_at=requested_at,
        submitted_at=requested_at,
    )


def _remittance(command: SendPayout) -> str:
    return remittance_of(command.redemption_id)


def remittance_of(redemption_id: uuid.UUID) -> str:
    return f"REDEMPTION {redemption_id}"


async def order_again(
    accounts: AccountsOnFile, keys: OpeningKeys, payout: Payout
) -> PaymentOrder | None:
    """A redemption's payment order as it was first submitted (the same body under the same
    idempotency key), or None if its account may no longer be paid to."""
    if payout.redemption_id is None or payout.beneficiary_account_id is None:
        return None
    filed = await accounts.get(payout.beneficiary_account_id)
    if filed is None:
        return None
    beneficiary = await payee(accounts, keys, filed.customer_id, payout.beneficiary_account_id)
    if isinstance(beneficiary, NotPayable):
        return None
    return _payment_order(payout, beneficiary, remittance_of(payout.redemption_id))


def _payment_order(payout: Payout, beneficiary: BankAccount, remittance: str) -> PaymentOrder:
    assert payout.rail is not None
    return PaymentOrder(payout.payout_id, payout.amount, beneficiary, payout.rail, remittance)


async def refund(
    work: SettlementWork,
    deposit_id: uuid.UUID,
    payer: BankAccount,
    amount: Money,
) -> Payout:
    """Pay a suspended deposit back to its payer through the rail (operator command)."""
    now = work.now()
    payout = Payout(
        payout_id=derive_id(deposit_id, "refund"),
        kind="refund",
        redemption_id=None,
        deposit_id=deposit_id,
        amount=amount,
        par=Money.zero("CNH"),
        beneficiary=payer,
        beneficiary_account_id=None,
        rail=choose_rail(amount, payer.country) or "SWIFT",
        bank_reference=None,
        state="rejected",
        detail="",
        requested_at=now,
        submitted_at=now,
    )
    return await _order(work, payout, payer, f"REFUND {deposit_id}")


async def _order(
    work: SettlementWork, payout: Payout, beneficiary: BankAccount, remittance: str
) -> Payout:
    result = await work.bank.submit(_payment_order(payout, beneficiary, remittance))
    if isinstance(result, Refused):
        payout = _with(payout, state="rejected", detail=f"{result.reason}: {result.detail}")
        await _record_new(work, payout, "bank_refused")
        return payout
    if isinstance(result, Accepted):
        payout = _with(payout, state="sent", bank_reference=result.bank_reference)
        await _record_new(work, payout, "bank_accepted")
    else:
        assert isinstance(result, NoAnswer)
        payout = _with(payout, state="unknown", detail=result.detail)
        await _record_new(work, payout, "bank_no_answer")
    # ordered (or possibly executed): booked now, reversed by a new entry if it fails
    post(
        work,
        derive_id(payout.payout_id, "ordered"),
        _ordered(payout),
        _links(work, payout),
    )
    return payout


def answer(payout: Payout) -> PayoutReply:
    """The reply to SendPayout for a payout in its current state."""
    assert payout.redemption_id is not None
    if payout.state == "rejected":
        return PayoutRejected(
            redemption_id=payout.redemption_id,
            reason=_REJECT_REASONS.get(payout.detail.split(":", 1)[0], "invalid_account"),
            detail=payout.detail,
        )
    if payout.state == "unknown":
        return PayoutOutcomeUnknown(
            redemption_id=payout.redemption_id, payout_id=payout.payout_id, detail=payout.detail
        )
    # sent, settled, failed, returned: the bank accepted the order (what happened after is
    # told by events and QueryPayout)
    return PayoutSent(
        redemption_id=payout.redemption_id,
        payout_id=payout.payout_id,
        rail=payout.rail or "SWIFT",
        bank_reference=payout.bank_reference or "UNKNOWN",
    )


_REJECT_REASONS: dict[str, PayoutRejectReason] = {
    reason: reason
    for reason in (
        "invalid_account",
        "closed_account",
        "unsupported_currency",
        "insufficient_liquidity",
        "beneficiary_unknown",
        "beneficiary_not_theirs",
        "beneficiary_not_verified",
    )
}
"""A rejected payout's detail starts with its reason code ("closed_account: ...")."""


def status(redemption_id: uuid.UUID, payout: Payout | None) -> PayoutStatus:
    if payout is None:
        return PayoutStatus(
            redemption_id=redemption_id,
            payout_id=None,
            state="not_found",
            detail="no payout for this redemption",
        )
    return PayoutStatus(
        redemption_id=redemption_id,
        payout_id=payout.payout_id,
        state=public_state(payout.state),
        detail=payout.detail or payout.state,
    )


# --- what the bank says afterwards ----------------------------------------------------------


async def settle(
    work: SettlementWork, payout: Payout, settled_at: dt.datetime, bank_reference: str, source: str
) -> str:
    return await _answered(
        work,
        payout,
        "settle",
        source,
        f"settled via {source}",
        entry=(
            derive_id(payout.payout_id, "settled"),
            ledger.payout_settled(payout.amount)
            if payout.kind == "redemption"
            else ledger.refund_settled(payout.amount),
            _links(work, payout),
        ),
        to_saga=lambda redemption_id: PayoutSettled(
            redemption_id=redemption_id,
            payout_id=payout.payout_id,
            amount=payout.amount,
            settled_at=settled_at,
        ),
        to_deposit=_Refunded(
            "refund_settled",
            lambda deposit_id: DepositRefunded(
                deposit_id=deposit_id,
                payout_id=payout.payout_id,
                amount=payout.amount,
                bank_reference=bank_reference,
            ),
            detail=bank_reference,
            fact_id="settled",
        ),
        bank_reference=bank_reference,
        settled_at=settled_at,
    )


async def fail(work: SettlementWork, payout: Payout, reason: str, detail: str, source: str) -> str:
    return await _answered(
        work,
        payout,
        "fail",
        source,
        f"{reason}: {detail}",
        entry=(
            derive_id(payout.payout_id, "failed"),
            ledger.payout_failed(payout.amount, payout.par)
            if payout.kind == "redemption"
            else ledger.refund_failed(payout.amount),
            _links(work, payout),
        ),
        to_saga=lambda redemption_id: PayoutFailed(
            redemption_id=redemption_id, payout_id=payout.payout_id, reason=reason
        ),
        to_deposit=_back_in_suspense(payout, "refund_failed"),
    )


async def returned(
    work: SettlementWork,
    payout: Payout,
    bank_reference: str,
    reason: str,
    returned_at: dt.datetime,
    source: str,
) -> str:
    """A settled payment came back: a new case; nothing that happened is undone."""
    case_id = derive_id(payout.payout_id, "return")

    async def open_case() -> None:
        await work.payouts.open_return_case(
            case_id,
            payout.payout_id,
            bank_reference,
            payout.amount,
            reason,
            returned_at,
        )

    return await _answered(
        work,
        payout,
        "return",
        source,
        f"returned ({reason}), case {case_id}",
        before=open_case,
        entry=(
            derive_id(case_id, "opened"),
            ledger.payout_returned(
                payout.amount, "nostro" if payout.kind == "redemption" else "reserve_bank"
            ),
            replace(_links(work, payout), case_id=case_id, memo=reason),
        ),
        to_saga=lambda redemption_id: PayoutReturned(
            redemption_id=redemption_id,
            payout_id=payout.payout_id,
            case_id=case_id,
            amount=payout.amount,
            reason=reason,
        ),
        to_deposit=_back_in_suspense(payout, "refund_returned"),
    )


@dataclass(frozen=True)
class _Refunded:
    """What a refund's outcome does to its deposit: the move by the deposit's state table,
    and the fact told once the deposit moved."""

    event: DepositEvent
    fact: Callable[[uuid.UUID], Message]
    detail: str = ""
    fact_id: str = ""
    reason: str | None = None


def _back_in_suspense(
    payout: Payout, event: Literal["refund_failed", "refund_returned"]
) -> _Refunded:
    return _Refunded(
        event,
        lambda deposit_id: DepositSuspended(
            deposit_id=deposit_id,
            amount=payout.amount,
            bank_reference=payout.bank_reference or "UNKNOWN",
            reason=event,
        ),
        fact_id=event,
        reason=event,
    )


async def _answered(
    work: SettlementWork,
    payout: Payout,
    event: Event,
    source: str,
    detail: str,
    *,
    entry: tuple[uuid.UUID, ledger.Entry, Links],
    to_saga: Callable[[uuid.UUID], Message],
    to_deposit: _Refunded,
    before: Callable[[], Awaitable[None]] | None = None,
    bank_reference: str | None = None,
    settled_at: dt.datetime | None = None,
) -> str:
    """What the bank said of a payout, applied once: the payout's move by its state table,
    then its journal entry, then the fact for whoever waits on it (the saga, of a
    redemption's payout; the deposit, of a refund's). A duplicate or a conflict changes
    nothing (a conflict is an anomaly for an operator)."""
    if (decision := await _decide(work, payout, event, source)) != "apply":
        return decision
    await _transition(
        work, payout, event, source, detail, bank_reference=bank_reference, settled_at=settled_at
    )
    if before is not None:
        await before()
    post(work, *entry)
    if payout.redemption_id is not None:
        _emit(work, payout, target(event), to_saga(payout.redemption_id))
        return "apply"
    assert payout.deposit_id is not None
    moved = await deposits.refund_moved(
        work, payout.deposit_id, to_deposit.event, to_deposit.detail, to_deposit.reason
    )
    if moved:
        _emit(work, payout, to_deposit.fact_id, to_deposit.fact(payout.deposit_id))
    return "apply"


async def _decide(work: SettlementWork, payout: Payout, event: Event, source: str) -> str:
    decision = decide(payout.state, event)
    if decision == "conflict":
        await work.anomalies.record(
            f"payout_{event}_conflict",
            str(payout.payout_id),
            f"{event} from {source} for a payout in state {payout.state}",
        )
    return decision


async def _transition(
    work: SettlementWork,
    payout: Payout,
    event: Event,
    cause: str,
    detail: str,
    *,
    bank_reference: str | None = None,
    settled_at: dt.datetime | None = None,
) -> None:
    new_state = target(event)
    work.payouts.forget(payout)
    await work.payouts.set_state(
        payout.payout_id,
        new_state,
        detail,
        bank_reference=bank_reference,
        settled_at=settled_at,
    )
    work.history.record(
        "payout",
        payout.payout_id,
        payout.state,
        new_state,
        work.actor,
        cause,
        detail,
    )


async def _record_new(work: SettlementWork, payout: Payout, cause: str) -> None:
    work.payouts.add(payout)
    work.history.record(
        "payout",
        payout.payout_id,
        None,
        payout.state,
        work.actor,
        cause,
        payout.detail,
    )


def _ordered(payout: Payout) -> ledger.Entry:
    if payout.kind == "redemption":
        return ledger.payout_ordered(payout.amount, payout.par)
    return ledger.refund_ordered(payout.amount)


def _links(work: SettlementWork, payout: Payout) -> Links:
    return links(
        work,
        deposit_id=payout.deposit_id,
        redemption_id=payout.redemption_id,
        payout_id=payout.payout_id,
    )


def _emit(work: SettlementWork, payout: Payout, what: str, event: Message) -> None:
    key = str(payout.redemption_id or payout.deposit_id)
    work.publish(
        EVENTS,
        key,
        event,
        message_id=derive_id(payout.payout_id, what),
        correlation_id=payout.redemption_id or payout.deposit_id or payout.payout_id,
    )


def _with(payout: Payout, **changes: object) -> Payout:
    return replace(payout, **changes)  # type: ignore[arg-type]
