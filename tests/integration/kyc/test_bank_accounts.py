"""Beneficiary accounts against the real service: registered sealed to KYC, first party by
the KYC name, then confirmed by the bank (the test plays settlement asking it), or refused
with the reason; the details stay sealed on the topic and encrypted in KYC's table."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from schemas.kyc import BankAccountRefused, BankAccountVerified, RegisterBankAccount
from schemas.sealed import SealingKey
from schemas.settlement import BankAccount
from tests.integration.kyc.support import (
    account_checks,
    account_decision,
    apply,
    bank_account,
    bank_answers,
    company,
    events,
    opened,
    person,
)
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def test_an_account_in_the_customer_s_name_is_checked_by_the_bank_then_verified(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    customer = person("Chan Tai Man")
    firm = company("Harbour Lights Trading Limited")
    await apply(platform, customer, firm)
    await events(platform, 2)

    # 1. the onboarding producer registers it, sealed to KYC (spelled as the bank spells it)
    own = bank_account(platform, customer.customer_id, "CHAN, Tai-Man", number="012-555555-001")
    firms = bank_account(platform, firm.customer_id, "HARBOUR LIGHTS TRADING LIMITED")
    await apply(platform, own, firms)

    # 2. KYC found the holder to be the customer: it asks settlement to ask the bank
    commands = await account_checks(platform, 2)
    by_account = {c.payload.account_id: c for c in commands}
    check = by_account[own.account_id]
    assert check.payload.customer_id == customer.customer_id
    assert check.reply_to == platform.topic("kyc.replies")
    assert check.payload.account.to == "settlement"
    assert opened(platform, check.payload).account_number == "012-555555-001"

    # 3. the bank knows the account under that name: verified
    for command in commands:
        await bank_answers(platform, command, "match")
    assert await account_decision(platform, own.account_id) == BankAccountVerified(
        customer_id=customer.customer_id, account_id=own.account_id
    )
    assert isinstance(await account_decision(platform, firms.account_id), BankAccountVerified)

    # at rest: encrypted, its row bound to the account
    [row] = await platform.query(
        "kyc", "SELECT * FROM bank_accounts WHERE account_id = $1", own.account_id
    )
    assert (row["state"], row["bank_result"]) == ("verified", "match")
    assert b"012-555555-001" not in bytes(row["pii_ciphertext"])
    assert b"CHAN" not in bytes(row["pii_ciphertext"])


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("mismatch", "bank_name_mismatch"),
        ("not_found", "bank_account_not_found"),
        ("closed", "bank_account_closed"),
    ],
)
async def test_the_bank_s_refusal_refuses_the_account(
    platform: Environment, answer: str, reason: str
) -> None:
    await platform.start("kyc")
    customer = person("Lee Siu Ming")
    await apply(platform, customer)
    await events(platform, 1)
    registration = bank_account(platform, customer.customer_id, "Lee Siu Ming")
    await apply(platform, registration)
    [command] = await account_checks(platform, 1)
    await bank_answers(platform, command, answer)  # type: ignore[arg-type]
    decided = await account_decision(platform, registration.account_id)
    assert isinstance(decided, BankAccountRefused)
    assert (decided.customer_id, decided.reason) == (customer.customer_id, reason)
    [row] = await platform.query(
        "kyc", "SELECT state, reason FROM bank_accounts WHERE account_id = $1",
        registration.account_id,
    )  # fmt: skip
    assert (row["state"], row["reason"]) == ("refused", reason)


async def test_refused_before_the_bank_is_asked(platform: Environment) -> None:
    await platform.start("kyc")
    customer = person("Ho Ka Yee")
    # a possible sanctions hit: referred for review
    referred = person("Marisol Quintera Valdespino", born=dt.date(1975, 2, 2), nationality="AR")
    await apply(platform, customer, referred)
    await events(platform, 2)
    C = customer.customer_id

    someone_else_s = bank_account(platform, C, "Mallory Chan")
    stranger = bank_account(platform, uuid.uuid4(), "Ho Ka Yee")
    not_yet = bank_account(platform, referred.customer_id, "Marisol Quintera Valdespino")
    own = bank_account(platform, C, "Ho Ka Yee")
    other_details = bank_account(
        platform, C, "Ho Ka Yee", number="012-999999-001", account_id=own.account_id
    )
    wrong_context = _sealed_for_another_record(platform, C)
    await apply(platform, someone_else_s, stranger, not_yet, wrong_context, own)
    [command] = await account_checks(platform, 1)  # only the customer's own name is checked
    assert command.payload.account_id == own.account_id
    await bank_answers(platform, command, "match")
    assert isinstance(await account_decision(platform, own.account_id), BankAccountVerified)
    await apply(platform, other_details)  # the same id, other details: never re-decided

    expected = {
        someone_else_s.account_id: "name_mismatch",
        stranger.account_id: "unknown_customer",
        not_yet.account_id: "customer_not_verified",
        wrong_context.account_id: "unreadable",
    }
    for account_id, reason in expected.items():
        decided = await account_decision(platform, account_id)
        assert isinstance(decided, BankAccountRefused)
        assert decided.reason == reason, account_id
    published = await events(platform, 2 + len(expected) + 2)
    conflicts = [
        e.payload for e in published
        if isinstance(e.payload, BankAccountRefused) and e.payload.account_id == own.account_id
    ]  # fmt: skip
    assert [c.reason for c in conflicts] == ["account_conflict"]
    [row] = await platform.query(
        "kyc", "SELECT state FROM bank_accounts WHERE account_id = $1", own.account_id
    )
    assert row["state"] == "verified"  # the first registration stands


def _sealed_for_another_record(
    platform: Environment, customer_id: uuid.UUID
) -> RegisterBankAccount:
    """Details sealed for another account id, copied onto this registration."""
    account_id = uuid.uuid4()
    details = BankAccount(
        holder_name="Ho Ka Yee", account_number="012-345678-001", bank_code="004", country="HK"
    )
    kyc = SealingKey.load(platform.servers.secrets_root, "kyc")
    return RegisterBankAccount(
        customer_id=customer_id,
        account_id=account_id,
        account=kyc.seal(details, f"kyc.register_bank_account:{customer_id}:{uuid.uuid4()}"),
    )
