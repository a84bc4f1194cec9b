"""Playing KYC's neighbours: onboarding producers (applications, wallets), the saga
(eligibility commands) and an operator (the CLI), against the real service process."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import uuid
from typing import Any

from aiokafka import ConsumerRecord

from clients.wallet import Wallet, deadline_in
from schemas import Codec, DeadLetter, Envelope, Money, Rejected, envelope
from schemas.kyc import (
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
    RegisterWallet,
    ReservationReleased,
    WalletFrozen,
    WalletRegistered,
    WalletUnfrozen,
    sealed_application,
)
from schemas.message import Message
from schemas.money import TOKEN
from schemas.runtime import DEAD_LETTER_MAX_BYTES
from tests.support.environment import Environment, database_name
from tests.support.sealing import sealing_key

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
    ]
)
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


def tokens(whole: int) -> Money:
    return Money(amount_minor=whole * 10**6, currency=TOKEN)


def wrap(platform: Environment, payload: Message, *, command: bool = False) -> Envelope[Any]:
    return envelope(
        payload,
        producer="test",
        correlation_id=getattr(payload, "redemption_id", None) or uuid.uuid4(),
        reply_to=platform.topic("redemption.replies") if command else None,
    )


async def apply(
    platform: Environment, *payloads: IndividualApplication | CorporateApplication | RegisterWallet
) -> None:
    """Onboarding producers: applications and wallet registrations, keyed by customer."""
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
) -> CheckEligibility:
    """The saga's check of a request signed by `signer` (default: the wallet's own key;
    a fresh one for a wallet this module did not register)."""
    rid, amount, until = redemption_id or uuid.uuid4(), tokens(whole_tokens), deadline
    beneficiary, quote = uuid.uuid4(), uuid.uuid4()
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
    records = await platform.read("kyc.events", lambda rs: len(rs) >= count)
    return [EVENTS.decode(r.value) for r in records]


async def replies(platform: Environment, count: int) -> list[Envelope[Any]]:
    records = await platform.read("redemption.replies", lambda rs: len(rs) >= count)
    return [REPLIES.decode(r.value) for r in records]


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
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.kyc.cli",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


def values(records: list[ConsumerRecord]) -> list[bytes]:
    return [r.value for r in records]
