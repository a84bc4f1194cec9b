"""Settlement's use cases on a fake work: given the state (reached through the verbs), when
a message arrives, then its reply, what was published and what changed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schemas import Money, Rejected
from schemas.issuance import Burned, Minted, MintForDeposit, MintRejected
from schemas.kyc import BankAccountRefused, BankAccountVerified
from schemas.money import TOKEN, par_tokens
from schemas.settlement import (
    BankAccountChecked,
    BankStatement,
    DepositConfirmed,
    DepositMatched,
    DepositRefunded,
    DepositSuspended,
    PayoutFailed,
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutRejectedNotice,
    PayoutReturned,
    PayoutReturnedNotice,
    PayoutSent,
    PayoutSettledNotice,
    QueryPayout,
    ReleaseReserve,
    ReserveMoved,
    ReserveReleased,
    StatementLine,
)
from services.runtime.retry import PermanentError, TransientError
from services.settlement.adapters.bank.port import NoAnswer, Refused
from services.settlement.domain.deposits import MAX_RESERVE_MINOR
from services.settlement.use_cases.accounts import (
    bank_account_refused,
    bank_account_verified,
    check_bank_account,
)
from services.settlement.use_cases.deposits import (
    deposit_received,
    mint_command_rejected,
    mint_rejected,
    minted,
    retry,
)
from services.settlement.use_cases.notices import bank_statement, payout_notice
from services.settlement.use_cases.payouts import (
    fail,
    order_again,
    payout_id_for,
    query_payout,
    send_payout,
)
from services.settlement.use_cases.refunds import RefundRefused, refund_deposit
from services.settlement.use_cases.reserve import release_reserve
from services.settlement.use_cases.supply import tokens_burned, tokens_minted
from services.settlement.use_cases.wallets import wallet_registered
from tests.support.money import cnh, money, tokens
from tests.support.work import T0
from tests.unit.settlement.fakes import SettlementFakeWork
from tests.unit.settlement.givens import (
    ACCOUNT,
    CUSTOMER,
    PAYER,
    REFERENCE,
    WALLET,
    check,
    credit,
    given_deposit,
    given_payout_sent,
    given_payout_unanswered,
    given_verified_account,
    given_wallet,
    payout_of,
    registered,
)

# --- deposits -------------------------------------------------------------------------------


async def test_a_deposit_naming_a_known_wallet_is_booked_and_asks_issuance_to_mint() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)

    await deposit_received(work, credit("100.00"))

    (deposit,) = work.deposits.rows.values()
    assert (deposit.state, deposit.wallet_id, deposit.mint_attempts) == ("minting", WALLET, 1)
    assert work.journal.templates() == ["deposit_matched"]
    matched, mint = work.payloads(DepositMatched), work.payloads(MintForDeposit)
    assert matched == [
        DepositMatched(deposit_id=deposit.deposit_id, customer_id=CUSTOMER, wallet_id=WALLET,
                       amount=cnh("100.00"), tokens=tokens("100.00"))
    ]  # fmt: skip
    assert mint == [
        MintForDeposit(deposit_id=deposit.deposit_id, customer_id=CUSTOMER, wallet_id=WALLET,
                       amount=tokens("100.00"), reserve_balance=cnh("100.00"))
    ]  # fmt: skip
    (to_issuance,) = (p for p in work.published if p.topic == "issuance.mints")
    assert (to_issuance.key, to_issuance.reply_to) == ("mints", "settlement.replies")
    (moved,) = work.payloads(ReserveMoved)
    assert isinstance(moved, ReserveMoved)
    assert moved.direction == "in"


async def test_a_deposit_without_a_known_reference_waits_in_suspense() -> None:
    work = SettlementFakeWork()

    await deposit_received(work, credit("5.00"))

    (deposit,) = work.deposits.rows.values()
    assert (deposit.state, deposit.reason) == ("suspended", "unmatched_reference")
    assert work.journal.templates() == ["deposit_unmatched"]
    assert work.payloads(MintForDeposit) == []
    assert work.payloads(DepositSuspended) == [
        DepositSuspended(deposit_id=deposit.deposit_id, amount=cnh("5.00"),
                         bank_reference="DEP1", reason="unmatched_reference")
    ]  # fmt: skip


async def test_the_same_bank_credit_notified_again_has_no_second_effect() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    await given_deposit(work, credit("100.00"))

    await deposit_received(work, credit("100.00"))

    assert work.published == []
    assert work.journal.templates() == ["deposit_matched"]


async def test_a_credit_beyond_the_reserve_limit_is_recorded_refused_never_booked() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)

    await deposit_received(work, credit(MAX_RESERVE_MINOR + 1))

    (deposit,) = work.deposits.rows.values()
    assert (deposit.state, deposit.reason) == ("refused", "over_reserve_limit")
    assert work.journal.entries == {}
    assert work.published == []
    assert work.anomalies.kinds == ["deposit_refused"]


async def test_a_wallet_registered_later_mints_the_deposit_waiting_for_it() -> None:
    work = SettlementFakeWork()
    deposit_id = await given_deposit(work, credit("5.00"))

    await wallet_registered(work, registered())

    deposit = work.deposits.rows[deposit_id]
    assert (deposit.state, deposit.wallet_id, deposit.mint_attempts) == ("minting", WALLET, 1)
    assert work.journal.templates()[-1] == "deposit_rematched"
    assert [m.deposit_id for m in work.payloads(MintForDeposit)] == [deposit_id]  # type: ignore[attr-defined]


async def test_a_reference_registered_for_another_wallet_is_an_anomaly() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    other = registered().model_copy(update={"wallet_id": uuid.uuid4()})

    await wallet_registered(work, other)

    assert work.anomalies.kinds == ["deposit_reference_conflict"]
    assert work.references.owners[REFERENCE] == (CUSTOMER, WALLET)


async def test_minted_confirms_the_deposit() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    deposit_id = await given_deposit(work, credit("100.00"))

    await minted(work, _minted(deposit_id, "100.00"))

    assert work.deposits.rows[deposit_id].state == "confirmed"
    assert work.journal.templates()[-1] == "mint_confirmed"
    (confirmed,) = work.payloads(DepositConfirmed)
    assert isinstance(confirmed, DepositConfirmed)
    assert confirmed.tokens == tokens("100.00")


async def test_a_mint_of_another_amount_is_an_anomaly_but_confirms_what_was_minted() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    deposit_id = await given_deposit(work, credit("100.00"))

    await minted(work, _minted(deposit_id, "99.00"))

    assert work.anomalies.kinds == ["mint_amount_mismatch"]
    assert work.deposits.rows[deposit_id].state == "confirmed"


async def test_minted_for_no_deposit_minting_is_an_anomaly_and_changes_nothing() -> None:
    work = SettlementFakeWork()

    await minted(work, _minted(uuid.uuid4(), "1.00"))

    assert work.anomalies.kinds == ["unexpected_mint"]
    assert work.published == []
    assert work.journal.entries == {}


async def test_a_mint_refused_suspends_the_deposit_with_the_reason() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    deposit_id = await given_deposit(work, credit("100.00"))

    await mint_rejected(
        work, MintRejected(deposit_id=deposit_id, reason="wallet_frozen", detail="frozen")
    )

    deposit = work.deposits.rows[deposit_id]
    assert (deposit.state, deposit.reason) == ("suspended", "wallet_frozen")
    assert work.journal.templates()[-1] == "mint_rejected"
    assert [s.reason for s in work.payloads(DepositSuspended)] == ["wallet_frozen"]  # type: ignore[attr-defined]


async def test_a_mint_command_issuance_could_not_read_names_its_deposit_by_correlation() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    deposit_id = await given_deposit(work, credit("100.00"))
    work.correlation_id = deposit_id

    await mint_command_rejected(work, Rejected(reason="invalid_payload", detail="bad"))

    deposit = work.deposits.rows[deposit_id]
    assert (deposit.state, deposit.reason) == ("suspended", "mint_command_rejected")


async def test_a_refused_mint_is_retried_with_a_new_command_on_reconciliation() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    await deposit_received(work, credit("100.00"))
    (first,) = _mints(work)
    deposit_id = first.payload.deposit_id
    work.next_message()
    await mint_rejected(
        work, MintRejected(deposit_id=deposit_id, reason="unknown_wallet", detail="not yet")
    )
    work.next_message()

    assert await retry(work, work.deposits.rows[deposit_id])

    assert work.deposits.rows[deposit_id].mint_attempts == 2
    (again,) = _mints(work)
    assert again.message_id != first.message_id
    assert work.journal.templates()[-1] == "deposit_rematched"


async def test_a_suspended_deposit_is_refunded_to_its_payer() -> None:
    work = SettlementFakeWork()
    deposit_id = await given_deposit(work, credit("5.00"))

    payout = await refund_deposit(work, deposit_id)

    assert (payout.state, payout.kind) == ("sent", "refund")
    (order,) = work.bank.orders
    assert (order.beneficiary, order.amount) == (PAYER, cnh("5.00"))
    assert work.deposits.rows[deposit_id].state == "refunding"
    assert work.journal.templates()[-1] == "refund_ordered"


async def test_a_refund_the_bank_settles_refunds_the_deposit() -> None:
    work = SettlementFakeWork()
    deposit_id = await given_deposit(work, credit("5.00"))
    payout = await refund_deposit(work, deposit_id)
    work.next_message()

    await payout_notice(work, _settled(payout.payout_id, cnh("5.00")))

    assert work.deposits.rows[deposit_id].state == "refunded"
    assert [r.deposit_id for r in work.payloads(DepositRefunded)] == [deposit_id]  # type: ignore[attr-defined]


async def test_a_refund_the_bank_refuses_leaves_the_deposit_in_suspense() -> None:
    work = SettlementFakeWork()
    deposit_id = await given_deposit(work, credit("5.00"))
    work.bank.answer = Refused("closed_account", "closed")

    payout = await refund_deposit(work, deposit_id)

    assert payout.state == "rejected"
    assert work.deposits.rows[deposit_id].state == "suspended"
    assert work.history.rows[-1][5] == "refund_refused"


async def test_only_a_suspended_deposit_is_refunded_and_only_once() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    minting = await given_deposit(work, credit("1.00", bank_reference="DEP2"))
    suspended = await given_deposit(work, credit("5.00", remittance="no reference"))
    await refund_deposit(work, suspended)
    work.deposits.set_state(work.deposits.rows[suspended], "suspended")

    with pytest.raises(RefundRefused, match="not suspended"):
        await refund_deposit(work, minting)
    with pytest.raises(RefundRefused, match="refunded once already"):
        await refund_deposit(work, suspended)
    with pytest.raises(RefundRefused, match="no deposit"):
        await refund_deposit(work, uuid.uuid4())


# --- beneficiary accounts ---------------------------------------------------------------


async def test_an_account_is_checked_by_the_bank_once_and_filed() -> None:
    work = SettlementFakeWork()

    first = await check_bank_account(work, check())
    again = await check_bank_account(work, check())

    expected = BankAccountChecked(account_id=ACCOUNT, customer_id=CUSTOMER, result="match")
    assert first == again == expected
    assert len(work.bank.checked) == 1
    assert work.accounts.rows[ACCOUNT].state == "checked"


async def test_an_account_that_does_not_open_is_refused_at_once() -> None:
    work = SettlementFakeWork()
    command = check().model_copy(update={"customer_id": uuid.uuid4()})  # another context

    reply = await check_bank_account(work, command)

    assert isinstance(reply, Rejected)
    assert reply.reason == "unreadable"
    assert work.bank.checked == []
    assert work.accounts.rows == {}


async def test_a_check_of_an_account_on_file_for_another_customer_is_an_anomaly() -> None:
    work = SettlementFakeWork()
    await check_bank_account(work, check())
    someone = uuid.uuid4()

    await check_bank_account(work, check(customer_id=someone))

    assert work.anomalies.kinds == ["bank_account_conflict"]


async def test_kyc_decides_a_checked_account_once() -> None:
    work = SettlementFakeWork()
    await check_bank_account(work, check())

    await bank_account_verified(work, BankAccountVerified(customer_id=CUSTOMER, account_id=ACCOUNT))
    await bank_account_refused(
        work, BankAccountRefused(customer_id=CUSTOMER, account_id=ACCOUNT, reason="name_mismatch")
    )

    assert work.accounts.rows[ACCOUNT].state == "verified"
    assert work.anomalies.kinds == ["bank_account_refused_conflict"]


async def test_a_refusal_of_an_account_never_checked_is_nothing_to_do() -> None:
    work = SettlementFakeWork()

    await bank_account_refused(
        work, BankAccountRefused(customer_id=CUSTOMER, account_id=ACCOUNT, reason="name_mismatch")
    )

    assert work.anomalies.kinds == []
    assert work.accounts.rows == {}


# --- payouts ------------------------------------------------------------------------------


async def test_a_payout_to_a_verified_account_goes_to_the_bank_and_is_booked() -> None:
    work = SettlementFakeWork()
    await given_verified_account(work)
    command = payout_of("780.00")

    reply = await send_payout(work, command)

    payout_id = payout_id_for(command.redemption_id)
    assert reply == PayoutSent(redemption_id=command.redemption_id, payout_id=payout_id,
                               rail="FPS", bank_reference="BANKREF1")  # fmt: skip
    (order,) = work.bank.orders
    assert (order.instruction_id, order.amount, order.rail) == (
        payout_id,
        money("780.00", "HKD"),
        "FPS",
    )
    assert work.journal.templates() == ["payout_ordered"]
    assert work.history.moves(payout_id) == [(None, "sent")]


async def test_a_payout_asked_for_again_gets_its_first_answer_without_the_bank() -> None:
    work = SettlementFakeWork()
    command = payout_of("780.00")
    await given_payout_sent(work, command)

    reply = await send_payout(work, command.model_copy(update={"amount": money("1.00", "HKD")}))

    assert isinstance(reply, PayoutSent)
    assert len(work.bank.orders) == 1
    assert work.journal.templates() == ["payout_ordered"]


async def test_a_payout_to_an_account_not_verified_is_rejected_before_the_bank() -> None:
    work = SettlementFakeWork()
    await check_bank_account(work, check())
    command = payout_of("780.00")

    reply = await send_payout(work, command)

    assert isinstance(reply, PayoutRejected)
    assert reply.reason == "beneficiary_not_verified"
    assert work.bank.orders == []
    assert work.journal.entries == {}


async def test_a_payout_in_tokens_has_no_rail() -> None:
    work = SettlementFakeWork()
    await given_verified_account(work)

    reply = await send_payout(work, payout_of("1.00", currency=TOKEN))

    assert isinstance(reply, PayoutRejected)
    assert reply.reason == "unsupported_currency"
    assert work.bank.orders == []


async def test_a_payout_the_bank_refuses_is_rejected_with_the_banks_reason() -> None:
    work = SettlementFakeWork()
    await given_verified_account(work)
    work.bank.answer = Refused("closed_account", "account closed")

    reply = await send_payout(work, payout_of("780.00"))

    assert isinstance(reply, PayoutRejected)
    assert reply.reason == "closed_account"
    assert work.journal.entries == {}


async def test_a_payout_without_an_answer_is_booked_as_ordered_and_its_outcome_unknown() -> None:
    work = SettlementFakeWork()
    await given_verified_account(work)
    work.bank.answer = NoAnswer("timeout")

    reply = await send_payout(work, payout_of("780.00"))

    assert isinstance(reply, PayoutOutcomeUnknown)
    assert reply.detail == "timeout"
    assert work.journal.templates() == ["payout_ordered"]


async def test_the_banks_settlement_settles_the_payout_and_tells_the_saga_once() -> None:
    work = SettlementFakeWork()
    command = payout_of("780.00")
    payout_id = await given_payout_sent(work, command)
    notice = _settled(payout_id, money("780.00", "HKD"))

    await payout_notice(work, notice)
    first = work.message_id
    work.next_message()
    await payout_notice(work, notice)

    assert work.payouts.rows[payout_id].state == "settled"
    assert work.notices.outcomes[first] == "apply"
    assert work.notices.outcomes[work.message_id] == "duplicate"
    assert work.published == []  # the second time
    assert work.journal.templates() == ["payout_ordered", "payout_settled"]


async def test_a_settlement_of_another_amount_is_an_anomaly() -> None:
    work = SettlementFakeWork()
    payout_id = await given_payout_sent(work, payout_of("780.00"))

    await payout_notice(work, _settled(payout_id, money("1.00", "HKD")))

    assert work.anomalies.kinds == ["settled_amount_mismatch"]


async def test_the_banks_rejection_fails_the_payout_and_reverses_its_booking() -> None:
    work = SettlementFakeWork()
    command = payout_of("780.00")
    payout_id = await given_payout_sent(work, command)

    await payout_notice(work, PayoutRejectedNotice(
        bank_reference="BANKREF1", end_to_end_id=payout_id, reason="closed_account",
        detail="closed", rejected_at=T0,
    ))  # fmt: skip

    assert work.payouts.rows[payout_id].state == "failed"
    assert work.payloads(PayoutFailed) == [
        PayoutFailed(redemption_id=command.redemption_id, payout_id=payout_id,
                     reason="closed_account")
    ]  # fmt: skip
    assert work.journal.templates()[-1] == "payout_failed"


async def test_a_settled_payout_that_comes_back_opens_a_return_case() -> None:
    work = SettlementFakeWork()
    command = payout_of("780.00")
    payout_id = await given_payout_sent(work, command)
    await payout_notice(work, _settled(payout_id, money("780.00", "HKD")))
    work.next_message()

    await payout_notice(work, _returned(payout_id))

    assert work.payouts.rows[payout_id].state == "returned"
    assert list(work.payouts.returns.values()) == [payout_id]
    (returned,) = work.payloads(PayoutReturned)
    assert isinstance(returned, PayoutReturned)
    assert returned.reason == "account_closed"


async def test_a_return_ahead_of_its_settlement_waits() -> None:
    work = SettlementFakeWork()
    payout_id = await given_payout_sent(work, payout_of("780.00"))

    await payout_notice(work, _returned(payout_id))

    assert work.notices.outcomes[work.message_id] is None  # pending: reconciliation applies it
    assert work.payouts.rows[payout_id].state == "sent"


async def test_a_notice_ahead_of_its_payout_waits_for_reconciliation() -> None:
    work = SettlementFakeWork()

    await payout_notice(work, _settled(uuid.uuid4(), money("1.00", "HKD")))

    assert work.notices.outcomes == {work.message_id: None}
    assert work.published == []


async def test_a_payout_without_an_answer_the_bank_rejected_fails_on_the_follow_up() -> None:
    work = SettlementFakeWork()
    payout = await given_payout_unanswered(work)

    outcome = await fail(work, payout, "rejected", "the bank rejected the order", "bank_status")

    assert outcome == "apply"
    assert work.payouts.rows[payout.payout_id].state == "failed"
    assert [f.reason for f in work.payloads(PayoutFailed)] == ["rejected"]  # type: ignore[attr-defined]


async def test_a_payout_without_an_answer_is_ordered_again_as_first_submitted() -> None:
    work = SettlementFakeWork()
    payout = await given_payout_unanswered(work)

    again = await order_again(work.accounts, work.terms.keys, payout)

    assert again == work.bank.orders[0]  # the same body under the same idempotency key


async def test_a_settled_payout_is_not_failed_by_a_late_follow_up() -> None:
    work = SettlementFakeWork()
    payout_id = await given_payout_sent(work, payout_of("780.00"))
    await payout_notice(work, _settled(payout_id, money("780.00", "HKD")))
    work.next_message()

    outcome = await fail(work, work.payouts.rows[payout_id], "rejected", "late", "bank_status")

    assert outcome == "conflict"
    assert work.anomalies.kinds == ["payout_fail_conflict"]
    assert work.published == []


async def test_a_payout_is_queried_by_its_redemption() -> None:
    work = SettlementFakeWork()
    command = payout_of("780.00")
    await given_payout_sent(work, command)

    found = await query_payout(work, QueryPayout(redemption_id=command.redemption_id))
    missing = await query_payout(work, QueryPayout(redemption_id=uuid.uuid4()))

    assert (found.state, found.payout_id) == ("sent", payout_id_for(command.redemption_id))
    assert (missing.state, missing.payout_id) == ("not_found", None)


# --- the reserve's release after the burn ---------------------------------------------------


async def test_the_reserve_is_released_once_per_redemption() -> None:
    work = SettlementFakeWork()
    await given_wallet(work)
    await given_deposit(work, credit("500.00"))
    command = payout_of("780.00", par="100.00")
    await given_payout_sent(work, command)
    release = ReleaseReserve(redemption_id=command.redemption_id, amount=cnh("100.00"))

    first = await release_reserve(work, release)
    again = await release_reserve(work, release)

    assert (
        first
        == again
        == ReserveReleased(
            redemption_id=command.redemption_id, amount=cnh("100.00"), reserve_after=cnh("400.00")
        )
    )
    assert work.journal.templates().count("reserve_released") == 1
    assert [m.direction for m in work.payloads(ReserveMoved)] == ["out"]  # type: ignore[attr-defined]


async def test_a_release_before_its_payout_is_booked_waits() -> None:
    work = SettlementFakeWork()

    with pytest.raises(TransientError):
        await release_reserve(work, ReleaseReserve(redemption_id=uuid.uuid4(), amount=cnh(1)))


async def test_a_release_of_a_payout_never_made_is_refused_for_good() -> None:
    work = SettlementFakeWork()
    await given_verified_account(work)
    work.bank.answer = Refused("closed_account", "closed")
    command = payout_of("780.00")
    await send_payout(work, command)

    with pytest.raises(PermanentError):
        await release_reserve(
            work, ReleaseReserve(redemption_id=command.redemption_id, amount=cnh("100.00"))
        )


# --- statements and issuance's supply ---------------------------------------------------


async def test_a_statement_page_is_kept_once() -> None:
    work = SettlementFakeWork()
    line = StatementLine(bank_reference="BANKREF1", end_to_end_id=None, direction="credit",
                         amount=cnh("5.00"), booked_at=T0, description="DEP1")  # fmt: skip
    page = BankStatement(
        statement_id="STMT1", sequence=1, account_number="RESERVE-001", period_start=T0,
        period_end=T0 + dt.timedelta(hours=1), page=1, pages=1, lines=(line,),
    )  # fmt: skip

    await bank_statement(work, page)
    await bank_statement(work, page)

    (kept,) = work.statements.pages.values()
    assert [row[0] for row in kept] == ["BANKREF1"]


async def test_issuances_mints_and_burns_are_recorded_as_the_supply() -> None:
    work = SettlementFakeWork()
    deposit_id, redemption_id = uuid.uuid4(), uuid.uuid4()

    await tokens_minted(work, _minted(deposit_id, "10.00"))
    await tokens_burned(work, Burned(redemption_id=redemption_id, burn_id=uuid.uuid4(),
        wallet_id=WALLET, amount=tokens("4.00"), supply_after=tokens("6.00")))  # fmt: skip

    assert [(m.kind, m.amount_minor, m.deposit_id, m.redemption_id)
            for m in work.supply.movements] == [
        ("minted", tokens("10.00").amount_minor, deposit_id, None),
        ("burned", tokens("4.00").amount_minor, None, redemption_id),
    ]  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


def _minted(deposit_id: uuid.UUID, amount: str) -> Minted:
    return Minted(
        deposit_id=deposit_id, mint_id=uuid.uuid4(), customer_id=CUSTOMER, wallet_id=WALLET,
        amount=par_tokens(cnh(amount)), supply_after=tokens(amount),
    )  # fmt: skip


def _mints(work: SettlementFakeWork) -> list:  # type: ignore[type-arg]
    return [p for p in work.published if isinstance(p.payload, MintForDeposit)]


def _settled(payout_id: uuid.UUID, amount: Money) -> PayoutSettledNotice:
    return PayoutSettledNotice(
        bank_reference="BANKREF1", end_to_end_id=payout_id, amount=amount, settled_at=T0
    )


def _returned(payout_id: uuid.UUID) -> PayoutReturnedNotice:
    return PayoutReturnedNotice(
        bank_reference="RETURN1", original_bank_reference="BANKREF1", end_to_end_id=payout_id,
        amount=money("780.00", "HKD"), reason="account_closed", returned_at=T0,
    )  # fmt: skip
