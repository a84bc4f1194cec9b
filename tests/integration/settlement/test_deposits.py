"""Deposits: matched -> reserve credited -> one mint, however often the bank repeats itself;
unmatched or unmintable -> suspense with a reason -> refunded by an operator."""

from __future__ import annotations

import uuid

import pytest

from schemas import envelope
from schemas.issuance import MintForDeposit
from schemas.settlement import (
    DepositConfirmed,
    DepositMatched,
    DepositRefunded,
    DepositSuspended,
    ReserveMoved,
)
from services.settlement.domain.deposits import deposit_id as deposit_id_of
from tests.integration.settlement.conftest import Settlement, deposit_reference, of_type
from tests.support.money import cnh, tokens

pytestmark = pytest.mark.integration


async def test_a_matched_deposit_mints_once_however_often_it_is_notified(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    customer_id, wallet_id = await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    notice = settlement.deposit(1_234_56, f"payment for {reference.lower()} thanks")
    # the same bank credit three times: once, once more under a new message id, and the
    # very same record again (a redelivery)
    first = envelope(notice, producer="bank-simulator", correlation_id=uuid.uuid4())
    again = envelope(notice, producer="bank-simulator", correlation_id=uuid.uuid4())
    await settlement.platform.send(
        "settlement.bank-notifications", notice.bank_reference, first, again, first
    )

    [mint] = await settlement.mint_commands(1)
    command: MintForDeposit = mint.payload
    assert command.wallet_id == wallet_id
    assert command.customer_id == customer_id
    assert command.amount == tokens(1_234_56 * 10_000)
    assert command.reserve_balance == cnh(1_234_56)
    assert mint.correlation_id == command.deposit_id == deposit_id_of(notice.bank_reference)
    await settlement.answer_mint(mint)
    await settlement.answer_mint(mint)  # issuance repeats its reply: no second effect

    events = await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    [confirmed] = of_type(events, DepositConfirmed)
    assert confirmed.deposit_id == command.deposit_id
    assert confirmed.tokens == command.amount
    # what issuance mints against: the reserve's credit and the deposit's wallet, told once
    [credited] = of_type(events, ReserveMoved)
    assert (credited.deposit_id, credited.direction, credited.amount, credited.cause) == (
        command.deposit_id, "in", cnh(1_234_56), "deposit_matched",
    )  # fmt: skip
    [matched] = of_type(events, DepositMatched)
    assert (matched.deposit_id, matched.customer_id, matched.wallet_id, matched.tokens) == (
        command.deposit_id, customer_id, wallet_id, command.amount,
    )  # fmt: skip

    # a second, different credit to the same wallet mints again (one mint per deposit)
    await settlement.bank_sends(settlement.deposit(10_00, reference))
    mints = await settlement.mint_commands(2)
    assert mints[1].payload.reserve_balance == cnh(1_244_56)
    # nothing else was sent to issuance, even after the duplicates were processed
    await settlement.wait_rows(
        "SELECT count(*) AS n FROM inbox WHERE consumer = 'settlement.bank-notifications'",
        lambda rows: rows[0]["n"] >= 3,
    )
    assert len(await settlement.mint_commands(2)) == 2
    assert await settlement.balance("reserve_bank:CNH") == 1_244_56
    assert await settlement.balance("tokens_outstanding:CNH") == 1_234_56
    assert await settlement.balance("tokens_to_issue:CNH") == 10_00
    rows = await settlement.platform.query("settlement", "SELECT state FROM deposits ORDER BY 1")
    assert [r["state"] for r in rows] == ["confirmed", "minting"]


async def test_unmatched_and_rejected_deposits_wait_in_suspense_until_refunded(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    unmatched = settlement.deposit(50_00, "no reference at all")
    frozen = settlement.deposit(70_00, reference)
    await settlement.bank_sends(unmatched, frozen)
    [mint] = await settlement.mint_commands(1)
    await settlement.answer_mint(mint, reject="wallet_frozen")

    events = await settlement.events(lambda es: len(of_type(es, DepositSuspended)) >= 2)
    reasons = {e.bank_reference: e.reason for e in of_type(events, DepositSuspended)}
    assert reasons == {
        unmatched.bank_reference: "unmatched_reference",
        frozen.bank_reference: "wallet_frozen",
    }
    assert await settlement.balance("suspense:CNH") == 120_00
    assert await settlement.balance("reserve_bank:CNH") == 120_00

    # the operator refunds one: paid back to the payer through the rail (FPS: at once)
    code, out, err = await settlement.cli("refund", str(deposit_id_of(unmatched.bank_reference)))
    assert code == 0, err
    assert "sent via FPS" in out
    events = await settlement.events(lambda es: bool(of_type(es, DepositRefunded)))
    [refunded] = of_type(events, DepositRefunded)
    assert refunded.deposit_id == deposit_id_of(unmatched.bank_reference)
    assert refunded.amount == cnh(50_00)
    await settlement.wait_rows(
        "SELECT state FROM deposits WHERE bank_reference = '" + unmatched.bank_reference + "'",
        lambda rows: rows[0]["state"] == "refunded",
    )
    assert await settlement.balance("suspense:CNH") == 70_00
    assert await settlement.balance("reserve_bank:CNH") == 70_00
    assert await settlement.balance("customer_payable:CNH") == 0

    # refunding it again is refused: one refund per deposit
    code, _, err = await settlement.cli("refund", str(deposit_id_of(unmatched.bank_reference)))
    assert code == 2
    assert "not suspended" in err
    history = await settlement.platform.query(
        "settlement",
        "SELECT to_state, actor, cause FROM history WHERE subject_id = $1 ORDER BY id",
        deposit_id_of(unmatched.bank_reference),
    )
    assert [(h["to_state"], h["cause"]) for h in history] == [
        ("suspended", "deposit_received"),
        ("refunding", "refund_ordered"),
        ("refunded", "refund_settled"),
    ]
    assert history[1]["actor"].startswith("operator:")


async def test_a_deposit_that_came_before_its_wallet_is_minted_once_the_wallet_is_known(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.bank_sends(settlement.deposit(500_00, f"top-up {reference}"))
    events = await settlement.events(lambda es: bool(of_type(es, DepositSuspended)))
    assert of_type(events, DepositSuspended)[0].reason == "unmatched_reference"

    _, wallet_id = await settlement.register_wallet(reference)  # KYC's event arrives late
    [mint] = await settlement.mint_commands(1)
    assert mint.payload.wallet_id == wallet_id
    await settlement.answer_mint(mint)
    confirmed = await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    assert of_type(confirmed, DepositConfirmed)[0].amount == cnh(500_00)
    assert await settlement.balance("suspense:CNH") == 0


async def test_a_mint_refused_while_issuance_catches_up_is_asked_again(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    await settlement.bank_sends(settlement.deposit(42_00, reference))
    [first] = await settlement.mint_commands(1)
    await settlement.answer_mint(first, reject="unknown_wallet")  # issuance has not seen KYC yet

    [_, second] = await settlement.mint_commands(2)  # the reconciliation loop asks again
    assert second.message_id != first.message_id
    assert second.payload.deposit_id == first.payload.deposit_id
    await settlement.answer_mint(second)
    confirmed = await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    assert len(of_type(confirmed, DepositConfirmed)) == 1
    assert await settlement.balance("suspense:CNH") == 0


async def test_a_refund_that_comes_back_puts_the_deposit_back_in_suspense(
    settlement: Settlement,
) -> None:
    # the payer's account returns what it is paid (the simulated bank's -0005 ending)
    bounced = settlement.deposit(30_00, "no reference", account="012-345678-0005")
    await settlement.bank_sends(bounced)
    deposit_id = deposit_id_of(bounced.bank_reference)
    await settlement.events(lambda es: bool(of_type(es, DepositSuspended)))

    code, _, err = await settlement.cli("refund", str(deposit_id))
    assert code == 0, err
    events = await settlement.events(
        lambda es: (
            len([e for e in of_type(es, DepositSuspended) if e.deposit_id == deposit_id]) >= 2
        )
    )
    assert [e.reason for e in of_type(events, DepositSuspended)] == [
        "unmatched_reference",
        "refund_returned",
    ]
    history = await settlement.platform.query(
        "settlement",
        "SELECT from_state, to_state, cause FROM history WHERE subject_id = $1 ORDER BY id",
        deposit_id,
    )
    assert [(h["from_state"], h["to_state"], h["cause"]) for h in history] == [
        (None, "suspended", "deposit_received"),
        ("suspended", "refunding", "refund_ordered"),
        ("refunding", "refunded", "refund_settled"),
        ("refunded", "suspended", "refund_returned"),
    ]
    # back in suspense on the books too: the money is in the reserve account again
    assert await settlement.balance("suspense:CNH") == 30_00
    assert await settlement.balance("reserve_bank:CNH") == 30_00
