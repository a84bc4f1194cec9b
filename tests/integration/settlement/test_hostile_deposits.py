"""Hostile but schema-valid bank notices and refusals: each ends in a defined state with a
reason (never a handler error, a dead letter or a stuck deposit), and later deposits and
the attestation report keep working."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import ConsumerRecord

from schemas import Codec, DeadLetter, envelope
from schemas.money import MAX_MINOR_UNITS
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from schemas.settlement import (
    DepositConfirmed,
    DepositParticulars,
    DepositReceived,
    DepositSuspended,
    deposit_received,
)
from services.settlement.domain.deposits import deposit_id as deposit_id_of
from tests.integration.settlement.conftest import Settlement, deposit_reference, of_type, payer
from tests.support.money import cnh
from tests.support.sealing import sealing_key

pytestmark = pytest.mark.integration


async def dead_letters(settlement: Settlement) -> list[ConsumerRecord]:
    try:
        return await settlement.platform.read("settlement.dlq", bool, timeout_s=2.0)
    except AssertionError:  # none within the time a failing record takes to get there
        return []


DEAD_LETTERS = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)


async def test_a_nul_or_a_duplicate_key_is_dead_lettered_with_its_reason_and_nothing_booked(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    nul, twice, later = (settlement.deposit(amount, reference) for amount in (1, 1, 30_00))
    # the payer's name travels sealed: a NUL in it is sealed too (the bank's own encoding)
    nul = deposit_received(
        sealing_key("settlement"),
        nul.bank_reference,
        nul.amount,
        nul.value_date,
        DepositParticulars.model_construct(
            payer=payer().model_copy(update={"holder_name": "Chan\x00Tai Man"}),
            remittance=reference,
        ),
    )

    def raw(notice: DepositReceived, old: bytes, new: bytes) -> tuple[bytes, bytes]:
        value = envelope(notice, producer="bank-simulator", correlation_id=uuid.uuid4()).to_bytes()
        assert value.count(old) == 1
        return notice.bank_reference.encode(), value.replace(old, new)

    await settlement.platform.send_raw(
        "settlement.bank-notifications",
        [
            # PostgreSQL text cannot store U+0000: refused when the particulars are opened
            raw(nul, b'"bank_reference"', b'"bank_reference"'),
            # today the last value wins: 777.00 booked for a notice that also says 0.01
            raw(twice, b'"amount_minor":1', b'"amount_minor":1,"amount_minor":77700'),
        ],
    )
    await settlement.bank_sends(later)

    [mint] = await settlement.mint_commands(1)
    assert mint.payload.deposit_id == deposit_id_of(later.bank_reference)
    records = await settlement.platform.read("settlement.dlq", lambda rs: len(rs) >= 2)
    letters = sorted(
        (DEAD_LETTERS.decode(r.value).payload for r in records), key=lambda d: d.reason
    )
    assert [d.reason for d in letters] == ["duplicate_key", "sealed_invalid_content"]
    assert letters[0].detail.startswith("the key 'amount_minor' appears twice")
    assert letters[1].detail == "invalid_content: payer.holder_name: nul_character"
    assert all(d.attempts == 1 for d in letters)  # refused at once: no retry can mend it
    # the notification topic carries personal data: its dead letters keep a digest only
    assert all(d.value_b64 is None and d.value_digest for d in letters)
    rows = await settlement.platform.query("settlement", "SELECT bank_reference FROM deposits")
    assert [r["bank_reference"] for r in rows] == [later.bank_reference]


async def test_a_zero_amount_deposit_is_refused_not_booked_and_not_minted(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    zero, later = settlement.deposit(0, reference), settlement.deposit(10_00, reference)
    await settlement.bank_sends(zero, later)

    [mint] = await settlement.mint_commands(1)  # the later deposit only
    assert mint.payload.deposit_id == deposit_id_of(later.bank_reference)
    assert mint.payload.reserve_balance == cnh(10_00)
    rows = await settlement.wait_rows(
        f"SELECT state, reason FROM deposits WHERE bank_reference = '{zero.bank_reference}'",
        lambda rows: bool(rows),
    )
    assert (rows[0]["state"], rows[0]["reason"]) == ("refused", "zero_amount")
    assert await settlement.balance("reserve_bank:CNH") == 10_00
    assert await dead_letters(settlement) == []


async def test_a_deposit_at_the_amount_bound_breaks_no_later_deposit_nor_the_report(
    settlement: Settlement,
) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    # the largest amounts a DepositReceived may carry: one matched, one not
    huge_matched = settlement.deposit(MAX_MINOR_UNITS, reference)
    huge_unmatched = settlement.deposit(MAX_MINOR_UNITS, "no reference")
    await settlement.bank_sends(huge_matched, huge_unmatched)
    later = settlement.deposit(25_00, reference)
    await settlement.bank_sends(later)

    [mint] = await settlement.mint_commands(1)
    assert mint.payload.deposit_id == deposit_id_of(later.bank_reference)
    await settlement.answer_mint(mint)
    events = await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    assert not of_type(events, DepositSuspended)
    rows = await settlement.wait_rows(
        "SELECT bank_reference, state, reason FROM deposits ORDER BY received_at",
        lambda rows: len(rows) == 3,
    )
    states = {r["bank_reference"]: (r["state"], r["reason"]) for r in rows}
    assert states == {
        huge_matched.bank_reference: ("refused", "over_reserve_limit"),
        huge_unmatched.bank_reference: ("refused", "over_reserve_limit"),
        later.bank_reference: ("confirmed", None),
    }
    assert await settlement.balance("reserve_bank:CNH") == 25_00

    code, out, err = await settlement.cli("attest")
    assert code == 0, err
    assert "fully backed               YES" in out
    assert "deposit_refused" in out  # the operator sees what was refused
    assert await dead_letters(settlement) == []


async def test_a_mint_refused_twice_suspends_the_deposit_again(settlement: Settlement) -> None:
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    await settlement.bank_sends(settlement.deposit(42_00, reference))
    [first] = await settlement.mint_commands(1)
    await settlement.answer_mint(first, reject="unknown_wallet")
    [_, second] = await settlement.mint_commands(2)  # the reconciliation loop asks again
    await settlement.answer_mint(second, reject="unknown_wallet")  # refused again

    [_, _, third] = await settlement.mint_commands(3)  # suspended again, then asked again
    history = await settlement.platform.query(
        "settlement",
        "SELECT to_state FROM history WHERE subject_id = $1 ORDER BY id",
        first.payload.deposit_id,
    )
    assert [h["to_state"] for h in history][:5] == [
        "minting",
        "suspended",
        "minting",
        "suspended",
        "minting",
    ]
    await settlement.answer_mint(third)
    confirmed = await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    assert len(of_type(confirmed, DepositConfirmed)) == 1
    events = await settlement.events(lambda es: len(of_type(es, DepositSuspended)) >= 2)
    assert len(of_type(events, DepositSuspended)) == 2  # one fact per refusal
    assert await settlement.balance("suspense:CNH") == 0
    assert await dead_letters(settlement) == []
