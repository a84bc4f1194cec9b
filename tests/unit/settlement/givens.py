"""The states a settlement use-case test starts from, reached through the verbs themselves:
a wallet KYC registered, a deposit the bank credited, an account the bank checked and KYC
verified, a payout the bank accepted; and the messages that get there."""

from __future__ import annotations

import datetime as dt
import uuid

from schemas.kyc import BankAccountVerified, WalletRegistered
from schemas.settlement import (
    BankAccount,
    CheckBankAccount,
    DepositParticulars,
    DepositReceived,
    SendPayout,
    account_check_context,
    deposit_received,
)
from services.settlement.adapters.bank.port import NoAnswer
from services.settlement.domain.deposits import deposit_id as deposit_id_of
from services.settlement.repository.payouts import Payout
from services.settlement.use_cases.accounts import bank_account_verified, check_bank_account
from services.settlement.use_cases.deposits import deposit_received as receive_deposit
from services.settlement.use_cases.payouts import send_payout
from services.settlement.use_cases.wallets import wallet_registered
from tests.support.money import cnh, money
from tests.unit.settlement.fakes import KEYS, SettlementFakeWork

CUSTOMER, WALLET, ACCOUNT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
REFERENCE = "CNH-ABCDE12345"
PAYER = BankAccount(
    holder_name="Chan Tai Man", account_number="012-345678-001", bank_code="004", country="HK"
)
BENEFICIARY = BankAccount(
    holder_name="Chan Tai Man", account_number="HK-998877", bank_code="HSBCHKHH", country="HK"
)


def registered(reference: str = REFERENCE) -> WalletRegistered:
    return WalletRegistered(
        customer_id=CUSTOMER,
        wallet_id=WALLET,
        address="0x" + "0" * 40,
        deposit_reference=reference,
        proof_of_control="verified",
    )


def credit(amount: int | str, remittance: str = f"top up {REFERENCE}", bank_reference: str = "DEP1"
) -> DepositReceived:  # fmt: skip
    """The bank's notice of a credit to the reserve account (`amount` in CNH)."""
    particulars = DepositParticulars(payer=PAYER, remittance=remittance)
    return deposit_received(
        KEYS.current, bank_reference, cnh(amount), dt.date(2026, 12, 1), particulars
    )


async def given_wallet(work: SettlementFakeWork) -> None:
    await wallet_registered(work, registered())
    work.next_message()


async def given_deposit(work: SettlementFakeWork, notice: DepositReceived) -> uuid.UUID:
    await receive_deposit(work, notice)
    work.next_message()
    return deposit_id_of(notice.bank_reference)


def check(customer_id: uuid.UUID = CUSTOMER, account: BankAccount = BENEFICIARY
) -> CheckBankAccount:  # fmt: skip
    context = account_check_context(customer_id, ACCOUNT)
    return CheckBankAccount(
        account_id=ACCOUNT, customer_id=customer_id, account=KEYS.current.seal(account, context)
    )


async def given_verified_account(work: SettlementFakeWork) -> None:
    await check_bank_account(work, check())
    await bank_account_verified(work, BankAccountVerified(customer_id=CUSTOMER, account_id=ACCOUNT))
    work.next_message()


def payout_of(amount: int | str, currency: str = "HKD", par: int | str = "100.00",
    redemption_id: uuid.UUID | None = None,
) -> SendPayout:  # fmt: skip
    return SendPayout(
        redemption_id=redemption_id or uuid.uuid4(),
        customer_id=CUSTOMER,
        amount=money(amount, currency),
        beneficiary_account_id=ACCOUNT,
        par_value=cnh(par),
        conversion_id=None,
    )


async def given_payout_sent(work: SettlementFakeWork, command: SendPayout) -> uuid.UUID:
    """A payout the bank accepted (to a verified account): its payout id."""
    await given_verified_account(work)
    reply = await send_payout(work, command)
    work.next_message()
    payout = await work.payouts.get(command.redemption_id)
    assert payout is not None
    assert payout.state == "sent", reply
    return payout.payout_id


async def given_payout_unanswered(work: SettlementFakeWork) -> Payout:
    """A payout the bank gave no answer for (booked as ordered, its outcome unknown)."""
    await given_verified_account(work)
    work.bank.answer = NoAnswer("connection lost")
    command = payout_of("780.00")
    await send_payout(work, command)
    work.next_message()
    payout = await work.payouts.get(command.redemption_id)
    assert payout is not None
    assert payout.state == "unknown"
    return payout
