"""Playing KYC's neighbours: onboarding producers (applications, wallets, bank accounts),
the saga (eligibility commands), settlement asking the bank about an account, and an
operator (the CLI), against the real service process."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from aiokafka import ConsumerRecord

from clients.wallet import Wallet, deadline_in
from schemas import Codec, DeadLetter, Envelope, Rejected, envelope
from schemas.kyc import (
    BankAccountRefused,
    BankAccountVerified,
    CheckEligibility,
    CorporateApplication,
    CorporateParticulars,
    CustomerFrozen,
    CustomerReferred,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    Eligible,
    IdentityDocument,
    IndividualApplication,
    IndividualParticulars,
    Ineligible,
    PostalAddress,
    RegisterBankAccount,
    RegisterWallet,
    ReservationReleased,
    WalletFrozen,
    WalletRegistered,
    WalletUnfrozen,
    bank_account_context,
    sealed_application,
)
from schemas.message import Message
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from schemas.sealed import OpeningKeys, SealingKey
from schemas.settlement import (
    AccountCheckResult,
    BankAccount,
    BankAccountChecked,
    CheckBankAccount,
    account_check_context,
)
from tests.support.environment import Environment, database_name
from tests.support.money import tokens
from tests.support.process import run_module
from tests.support.sealing import sealing_key
from tests.support.world import Neighbours

EVENTS = Codec(
    [
        CustomerVerified,
        CustomerRejected,
        CustomerReferred,
        CustomerFrozen,
        CustomerUnfrozen,
        WalletRegistered,
        WalletFrozen,
        WalletUnfrozen,
        BankAccountVerified,
        BankAccountRefused,
    ]
)
ACCOUNT_CHECKS = Codec([CheckBankAccount])
REPLIES = Codec([Eligible, Ineligible, ReservationReleased, Rejected])
DEAD_LETTERS = Codec([DeadLetter], max_bytes=DEAD_LETTER_MAX_BYTES)


def person(
    name: str,
    *,
    born: dt.date = dt.date(1990, 5, 17),
    nationality: str = "HK",
    due_diligence: str = "standard",
    aliases: tuple[str, ...] = (),
    document: str = "K1234567",
    street: str = "18 Harbour Road",
) -> IndividualApplication:
    """An application as an onboarding producer sends it: sealed to KYC's public key."""
    application = sealed_application(
        sealing_key("kyc"),
        uuid.uuid4(),
        due_diligence,  # type: ignore[arg-type]
        IndividualParticulars(
            full_name=name,
            aliases=aliases,
            date_of_birth=born,
            nationality=nationality,
            id_document=IdentityDocument(
                kind="passport", number=document, issuing_country=nationality
            ),
            address=PostalAddress(lines=(street,), city="Hong Kong", country="HK"),
        ),
    )
    assert isinstance(application, IndividualApplication)
    return application


def company(name: str, *, registration: str = "HK-778899") -> CorporateApplication:
    application = sealed_application(
        sealing_key("kyc"),
        uuid.uuid4(),
        "enhanced",
        CorporateParticulars(
            legal_name=name,
            trading_names=(),
            registration_number=registration,
            date_of_incorporation=dt.date(2011, 3, 1),
            country_of_incorporation="HK",
            registered_address=PostalAddress(
                lines=("1 Connaught Place",), city="Hong Kong", country="HK"
            ),
        ),
    )
    assert isinstance(application, CorporateApplication)
    return application


KEYS: dict[uuid.UUID, Wallet] = {}
"""The holders' wallet keys by wallet id (generated per run): `check` signs with them."""


def wallet(customer_id: uuid.UUID, *, signed: bool = True) -> RegisterWallet:
    wallet_id, key = uuid.uuid4(), Wallet()
    KEYS[wallet_id] = key
    return RegisterWallet(
        customer_id=customer_id,
        wallet_id=wallet_id,
        address=key.address,
        signature=key.prove_control(customer_id, wallet_id) if signed else None,
    )


def bank_account(
    platform: Environment,
    customer_id: uuid.UUID,
    holder: str,
    number: str = "012-345678-001",
    account_id: uuid.UUID | None = None,
) -> RegisterBankAccount:
    """An onboarding producer registers a bank account, its details sealed to KYC."""
    account_id = account_id or uuid.uuid4()
    details = BankAccount(holder_name=holder, account_number=number, bank_code="004", country="HK")
    kyc = SealingKey.load(platform.servers.secrets_root, "kyc")
    return RegisterBankAccount(
        customer_id=customer_id,
        account_id=account_id,
        account=kyc.seal(details, bank_account_context(customer_id, account_id)),
    )


async def account_checks(platform: Environment, count: int) -> list[Envelope[Any]]:
    """What KYC asked settlement (and so the bank) to check."""
    return await Neighbours(platform).read(
        "settlement.account-checks", ACCOUNT_CHECKS, lambda es: len(es) >= count
    )


def opened(platform: Environment, check: CheckBankAccount) -> BankAccount:
    """Settlement's view of a check: the account, opened with settlement's key."""
    keys = OpeningKeys.load(platform.servers.secrets_root / "settlement", "settlement")
    context = account_check_context(check.customer_id, check.account_id)
    return keys.open(check.account, BankAccount, context)


async def bank_answers(
    platform: Environment, command: Envelope[Any], result: AccountCheckResult
) -> None:
    """Settlement replies with the bank's answer, where the check asked it to."""
    check: CheckBankAccount = command.payload
    assert command.reply_to == platform.topic("kyc.replies")
    reply = envelope(
        BankAccountChecked(
            account_id=check.account_id, customer_id=check.customer_id, result=result
        ),
        producer="settlement",
        correlation_id=command.correlation_id,
        causation_id=command.message_id,
    )
    await platform.send("kyc.replies", str(check.account_id), reply)


async def account_decision(platform: Environment, account_id: uuid.UUID) -> Message:
    """KYC's BankAccountVerified or BankAccountRefused for the account."""
    [decided] = await _about(platform, "kyc.events", EVENTS, account_id)
    payload: Message = decided.payload
    return payload


async def verified_account(platform: Environment, customer_id: uuid.UUID, holder: str) -> uuid.UUID:
    """Register the customer's own account and play the bank's match: the account id a
    redemption may name."""
    registration = bank_account(platform, customer_id, holder)
    await apply(platform, registration)
    [command] = await _about(
        platform, "settlement.account-checks", ACCOUNT_CHECKS, registration.account_id
    )
    await bank_answers(platform, command, "match")
    decided = await account_decision(platform, registration.account_id)
    assert isinstance(decided, BankAccountVerified), decided
    return registration.account_id


async def _about(
    platform: Environment, topic: str, codec: Codec, account_id: uuid.UUID
) -> list[Envelope[Any]]:
    """The messages of `topic` about one account, once there is one."""

    def about(e: Envelope[Any]) -> bool:
        return getattr(e.payload, "account_id", None) == account_id

    found = await Neighbours(platform).read(topic, codec, lambda es: any(map(about, es)))
    return [e for e in found if about(e)]


def wrap(platform: Environment, payload: Message, *, command: bool = False) -> Envelope[Any]:
    return envelope(
        payload,
        producer="test",
        correlation_id=getattr(payload, "redemption_id", None) or uuid.uuid4(),
        reply_to=platform.topic("redemption.replies") if command else None,
    )


async def apply(
    platform: Environment,
    *payloads: IndividualApplication | CorporateApplication | RegisterWallet | RegisterBankAccount,
) -> None:
    """Onboarding producers: applications, wallet and bank account registrations, keyed by
    customer."""
    for payload in payloads:
        await platform.send(
            "kyc.applications",
            str(payload.customer_id),
            wrap(platform, payload),
        )


def check(
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID,
    whole_tokens: int,
    redemption_id: uuid.UUID | None = None,
    *,
    signer: Wallet | None = None,
    deadline: int | None = None,
    account: uuid.UUID | None = None,
) -> CheckEligibility:
    """The saga's check of a request signed by `signer` (default: the wallet's own key;
    a fresh one for a wallet this module did not register), paid to `account` (default: one
    nobody registered)."""
    rid, amount, until = redemption_id or uuid.uuid4(), tokens(str(whole_tokens)), deadline
    beneficiary, quote = account or uuid.uuid4(), uuid.uuid4()
    if until is None:
        until = deadline_in()
    key = signer or KEYS.get(wallet_id) or Wallet()
    return CheckEligibility(
        redemption_id=rid,
        customer_id=customer_id,
        wallet_id=wallet_id,
        amount=amount,
        payout_currency="USD",
        beneficiary_account_id=beneficiary,
        quote_id=quote,
        deadline=until,
        signature=key.approve(
            redemption_id=rid,
            amount=amount.amount_minor,
            payout_currency="USD",
            beneficiary_account_id=beneficiary,
            quote_id=quote,
            deadline=until,
        ),
    )


async def events(platform: Environment, count: int) -> list[Envelope[Any]]:
    return await Neighbours(platform).read("kyc.events", EVENTS, lambda es: len(es) >= count)


async def replies(platform: Environment, count: int) -> list[Envelope[Any]]:
    return await Neighbours(platform).read(
        "redemption.replies", REPLIES, lambda es: len(es) >= count
    )


def outcome(payload: Message) -> str:
    """An answer's type, or its rejection reason."""
    return str(getattr(payload, "reason", None) or payload.TYPE)


def by_cause(envelopes: list[Envelope[Any]]) -> dict[uuid.UUID, Envelope[Any]]:
    return {e.causation_id: e for e in envelopes if e.causation_id is not None}


async def cli(
    platform: Environment, *args: str, operator: bool = False, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """`python -m services.kyc.cli ...` with the service's own environment (and `env`), or
    as the read-only operator (`make` runs the reading commands so)."""
    env = {**await platform.service_env("kyc"), **(env or {})}
    if operator:
        database = database_name(env["CNH_DATABASE_URL"])
        env["CNH_PRINCIPAL"] = "operator"
        env["CNH_DATABASE_URL"] = platform.servers.dsn(database, "operator")
    code, out, err = await run_module("services.kyc.cli", *args, env={**os.environ, **env})
    return code, out + err


def values(records: list[ConsumerRecord]) -> list[bytes]:
    return [r.value for r in records]
