"""The states a KYC use-case test starts from, reached through the verbs themselves: a
customer onboarded by `onboard`, a wallet registered by `register_wallet`, an account
verified by the bank's answer; and the CheckEligibility their holder signs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

from clients.wallet import Wallet
from schemas.kyc import (
    Application,
    CheckEligibility,
    IdentityDocument,
    IndividualParticulars,
    PostalAddress,
    RegisterBankAccount,
    RegisterWallet,
    bank_account_context,
    sealed_application,
)
from schemas.settlement import BankAccount, BankAccountChecked
from schemas.signing import DEFAULT_CHAIN_ID
from services.kyc.list_files import read_list
from services.kyc.use_cases.bank_accounts import bank_account_checked, register_bank_account
from services.kyc.use_cases.onboarding import onboard
from services.kyc.use_cases.wallets import register_wallet
from tests.support.money import tokens
from tests.support.sealing import throwaway
from tests.support.work import T0
from tests.unit.kyc.fakes import KycFakeWork

FIXTURES = Path(__file__).parents[3] / "services" / "kyc" / "fixtures"
UN_SAMPLE = read_list([FIXTURES / "un_consolidated_sample.xml"])
DEADLINE = int((T0 + dt.timedelta(minutes=5)).timestamp())
"""The deadline every request `check` builds is signed with: five minutes after T0."""


def person(
    name: str = "Alice Wong",
    born: dt.date = dt.date(1990, 5, 17),
    nationality: str = "HK",
    due_diligence: str = "standard",
) -> Application:
    particulars = IndividualParticulars(
        full_name=name,
        date_of_birth=born,
        nationality=nationality,
        id_document=IdentityDocument(kind="passport", number="K1234567", issuing_country="HK"),
        address=PostalAddress(lines=("18 Harbour Road",), city="Hong Kong", country="HK"),
    )
    kyc = throwaway("kyc").current
    return sealed_application(kyc, uuid.uuid4(), due_diligence, particulars)  # type: ignore[arg-type]


async def onboarded(work: KycFakeWork, app: Application | None = None) -> uuid.UUID:
    app = app or person()
    await onboard(work, app)
    work.next_message()
    return app.customer_id


def registration(customer_id: uuid.UUID, key: Wallet, *, signed: bool = True) -> RegisterWallet:
    wallet_id = uuid.uuid4()
    return RegisterWallet(
        customer_id=customer_id,
        wallet_id=wallet_id,
        address=key.address,
        signature=key.prove_control(customer_id, wallet_id) if signed else None,
    )


async def registered_wallet(work: KycFakeWork, customer_id: uuid.UUID, key: Wallet) -> uuid.UUID:
    """A wallet of the customer's, its control proven by `key`."""
    command = registration(customer_id, key)
    await register_wallet(work, command)
    work.next_message()
    return command.wallet_id


def account(
    customer_id: uuid.UUID, holder: str = "Alice Wong", account_id: uuid.UUID | None = None
) -> RegisterBankAccount:
    account_id = account_id or uuid.uuid4()
    details = BankAccount(
        holder_name=holder, account_number="012-345678-001", bank_code="004", country="HK"
    )
    return RegisterBankAccount(
        customer_id=customer_id,
        account_id=account_id,
        account=throwaway("kyc").current.seal(
            details, bank_account_context(customer_id, account_id)
        ),
    )


async def verified_account(work: KycFakeWork, customer_id: uuid.UUID) -> uuid.UUID:
    command = account(customer_id)
    await register_bank_account(work, command)
    await bank_account_checked(work, bank_answer(command, "match"))
    work.next_message()
    return command.account_id


def bank_answer(command: RegisterBankAccount, result: str) -> BankAccountChecked:
    """The bank's answer to the check of the account `command` registered."""
    return BankAccountChecked(
        account_id=command.account_id,
        customer_id=command.customer_id,
        result=result,  # type: ignore[arg-type]
    )


@dataclasses.dataclass
class Redeemer:
    customer_id: uuid.UUID
    wallet_id: uuid.UUID
    account_id: uuid.UUID
    key: Wallet


async def redeemer(work: KycFakeWork, due_diligence: str = "simplified") -> Redeemer:
    """A verified customer (basic tier by default) with a proven wallet and a verified
    account."""
    customer_id = await onboarded(work, person(due_diligence=due_diligence))
    key = Wallet(chain_id=DEFAULT_CHAIN_ID)
    wallet_id = await registered_wallet(work, customer_id, key)
    return Redeemer(customer_id, wallet_id, await verified_account(work, customer_id), key)


def check(
    who: Redeemer,
    whole_tokens: int,
    *,
    signer: Wallet | None = None,
    payout_currency: str = "USD",
    quoted: bool = True,
    accepted_at: dt.datetime | None = T0,
) -> CheckEligibility:
    """A new redemption's check, its terms signed by `signer` (the holder's key unless
    told), accepted at `accepted_at` (None: carried no intake time, KYC's clock decides)."""
    rid, amount = uuid.uuid4(), tokens(str(whole_tokens))
    quote = uuid.uuid4() if quoted else None
    return CheckEligibility(
        redemption_id=rid,
        customer_id=who.customer_id,
        wallet_id=who.wallet_id,
        amount=amount,
        payout_currency=payout_currency,
        beneficiary_account_id=who.account_id,
        quote_id=quote,
        deadline=DEADLINE,
        signature=(signer or who.key).approve(
            redemption_id=rid, amount=amount.amount_minor, payout_currency=payout_currency,
            beneficiary_account_id=who.account_id, quote_id=quote, deadline=DEADLINE,
        ),
        accepted_at=accepted_at,
    )  # fmt: skip
