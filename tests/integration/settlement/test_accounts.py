"""Beneficiary accounts against the real service and its simulated bank: KYC's check is
answered with the bank's account check and the account is kept on file, sealed; a payout
goes only to a verified account on file of the redemption's own customer, with the details
on file, and any other is refused with a typed reason before the bank hears of it."""

from __future__ import annotations

import json
import uuid

import pytest

from schemas import Money, Rejected
from schemas.kyc import BankAccountRefused
from schemas.sealed import SealingKey
from schemas.settlement import (
    BankAccountChecked,
    CheckBankAccount,
    PayoutRejected,
    PayoutSent,
)
from services.settlement.use_cases.payouts import payout_id_for
from tests.integration.settlement.conftest import Settlement, of_type, payer

pytestmark = pytest.mark.integration

HKD = Money(amount_minor=250_00, currency="HKD")


@pytest.mark.parametrize(
    ("number", "result"),
    [
        ("012-444444-0000", "match"),
        ("012-444444-0091", "not_found"),
        ("012-444444-0092", "closed"),
        ("012-444444-0093", "mismatch"),
    ],
)
async def test_the_bank_checks_the_account_and_it_is_kept_sealed(
    settlement: Settlement, number: str, result: str
) -> None:
    customer_id, account_id, reply = await settlement.check_account(payer(number))
    assert reply.payload == BankAccountChecked(
        account_id=account_id,
        customer_id=customer_id,
        result=result,  # type: ignore[arg-type]
    )
    [row] = await settlement.platform.query(
        "settlement",
        "SELECT customer_id, state, bank_result, sealed::text AS sealed FROM bank_accounts"
        " WHERE account_id = $1",
        account_id,
    )
    assert (row["customer_id"], row["state"], row["bank_result"]) == (
        customer_id,
        "checked",
        result,
    )
    assert number not in row["sealed"]
    assert "Chan Tai Man" not in row["sealed"]

    # the same check again: the first answer, nothing filed twice
    _, _, again = await settlement.check_account(
        payer(number), customer_id=customer_id, account_id=account_id
    )
    assert again.payload == reply.payload


async def test_a_check_that_does_not_open_is_refused_at_once(settlement: Settlement) -> None:
    customer_id, account_id = uuid.uuid4(), uuid.uuid4()
    key = SealingKey.load(settlement.platform.servers.secrets_root, "settlement")
    forged = CheckBankAccount(
        account_id=account_id,
        customer_id=customer_id,
        # sealed for another customer's account, copied onto this check
        account=key.seal(payer(), f"settlement.check_bank_account:{uuid.uuid4()}:{account_id}"),
    )
    reply = await settlement.ask_check(forged)
    assert isinstance(reply.payload, Rejected)
    assert reply.payload.reason == "unreadable"
    assert not await settlement.platform.query(
        "settlement", "SELECT 1 FROM bank_accounts WHERE account_id = $1", account_id
    )


async def test_a_payout_goes_only_to_a_verified_account_of_the_same_customer(
    settlement: Settlement,
) -> None:
    # on file: Alice's verified account, one only checked, one KYC refused
    alice, alice_account = await settlement.verified_account("012-777777-0000")
    checked_only, unverified, _ = await settlement.check_account(payer("012-777777-1000"))
    refused_owner, refused, _ = await settlement.check_account(payer("012-777777-2000"))
    await settlement.kyc_decides(refused_owner, refused, verified=False)

    attempts = {
        "to_alice": (alice, alice_account),
        "never_registered": (alice, uuid.uuid4()),
        "someone_else_s": (uuid.uuid4(), alice_account),  # another customer names Alice's
        "not_yet_verified": (checked_only, unverified),
        "refused": (refused_owner, refused),
    }
    ids = {name: uuid.uuid4() for name in attempts}
    for name, (customer_id, account_id) in attempts.items():
        await settlement.payout_to(ids[name], HKD, customer_id, account_id)
    replies = await settlement.replies(lambda rs: len(rs) >= len(attempts))
    reply = {r.payload.redemption_id: r.payload for r in replies}

    assert isinstance(reply[ids["to_alice"]], PayoutSent)
    rejected = {name: reply[ids[name]] for name in attempts if name != "to_alice"}
    assert all(isinstance(r, PayoutRejected) for r in rejected.values()), rejected
    assert {name: r.reason for name, r in rejected.items()} == {
        "never_registered": "beneficiary_unknown",
        "someone_else_s": "beneficiary_not_theirs",
        "not_yet_verified": "beneficiary_not_verified",
        "refused": "beneficiary_not_verified",
    }

    # the bank was asked to pay Alice's account on file, and only that one
    ordered = await settlement.platform.query(
        "bank", "SELECT idempotency_key, request->'beneficiary' AS paid FROM payment_orders"
    )
    assert [r["idempotency_key"] for r in ordered] == [str(payout_id_for(ids["to_alice"]))]
    paid = json.loads(ordered[0]["paid"])
    assert paid["account_number"] == payer("012-777777-0000").account_number
    # settlement's own payout names the account, never its details; refusals booked nothing
    payouts = await settlement.platform.query(
        "settlement",
        "SELECT redemption_id, beneficiary_digest, beneficiary_account_id, state FROM payouts",
    )
    state = {r["redemption_id"]: r["state"] for r in payouts}
    assert state.pop(ids["to_alice"]) in ("sent", "settled")  # FPS settles at once
    assert state == {ids[name]: "rejected" for name in rejected}
    assert all(r["beneficiary_digest"] is None for r in payouts)
    entries = await settlement.platform.query(
        "settlement",
        "SELECT DISTINCT redemption_id FROM journal_entries WHERE redemption_id IS NOT NULL",
    )
    assert {r["redemption_id"] for r in entries} == {ids["to_alice"]}
    assert of_type(replies, PayoutSent)[0].payout_id == payout_id_for(ids["to_alice"])


async def test_a_decision_about_another_customer_s_account_is_not_applied(
    settlement: Settlement,
) -> None:
    alice, account = await settlement.verified_account("012-888888-0000")
    mallory = uuid.uuid4()
    refused = BankAccountRefused(customer_id=mallory, account_id=account, reason="account_conflict")
    await settlement.neighbours.tell("kyc", mallory, refused, correlation_id=account)
    await settlement.wait_rows(f"SELECT 1 FROM anomalies WHERE reference = '{account}'", bool)
    [row] = await settlement.platform.query(
        "settlement", "SELECT state FROM bank_accounts WHERE account_id = $1", account
    )
    assert row["state"] == "verified"
    rid = uuid.uuid4()
    await settlement.payout_to(rid, HKD, alice, account)
    replies = await settlement.replies(lambda rs: any(r.payload.redemption_id == rid for r in rs))
    assert isinstance(
        next(r.payload for r in replies if r.payload.redemption_id == rid), PayoutSent
    )
