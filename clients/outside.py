"""Producers of the platform's ingress topics: onboarding, bank deposits, redemptions.

Each outside role logs in as its own principal (onboarding, bank, market-data, gateway),
the one the topic registry names as the topic's writer: the broker lets it write nothing
else."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer

from clients.wallet import Wallet
from schemas import Envelope, Message, envelope
from schemas.kyc import RegisterBankAccount, RegisterWallet, bank_account_context
from schemas.money import Money
from schemas.principals import PRODUCERS
from schemas.redemption import QuoteRedemption, Redeem
from schemas.sealed import SealingKey
from schemas.settlement import BankAccount, DepositParticulars, deposit_received
from schemas.topics import topic as registered
from services.runtime.access import KafkaLogins


class Outside:
    """Sends what the outside world sends, to the logical topics of one namespace."""

    def __init__(self, logins: KafkaLogins, namespace: str = "", *, confirm: bool = False) -> None:
        """`confirm`: each send returns once the broker acknowledged the record (and raises
        if it never does), as a gateway that must know its request arrived; by default a
        send returns once the record is queued (flush() waits for the rest)."""
        self._logins = logins
        self._namespace = namespace
        self._confirm = confirm
        self._producers: dict[str, AIOKafkaProducer] = {}
        self._starting = asyncio.Lock()
        self._keys: dict[str, SealingKey] = {}

    def sealing_key(self, recipient: str) -> SealingKey:
        """The public key personal data for `recipient` is sealed with (read once from the
        run folder's public keys, as any producer may)."""
        if recipient not in self._keys:
            self._keys[recipient] = SealingKey.load(self._logins.secrets_root, recipient)
        return self._keys[recipient]

    def topic(self, name: str) -> str:
        return f"{self._namespace}.{name}" if self._namespace else name

    async def _producer_for(self, topic: str) -> AIOKafkaProducer:
        """The producer of the outside role that writes `topic` (started on first use)."""
        role = next(w for w in registered(topic).writers if w in PRODUCERS)
        async with self._starting:  # concurrent first sends of one role share one producer
            if role not in self._producers:
                producer = AIOKafkaProducer(
                    **self._logins.of(role).producer_options(), enable_idempotence=True, linger_ms=5
                )
                await producer.start()
                self._producers[role] = producer
        return self._producers[role]

    async def __aenter__(self) -> Outside:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for producer in self._producers.values():
            await producer.stop()

    async def send(
        self, topic: str, key: str, payload: Message, *, correlation_id: uuid.UUID, producer: str
    ) -> Envelope[Any]:
        env = envelope(payload, producer=producer, correlation_id=correlation_id)
        kafka = await self._producer_for(topic)
        delivery = await kafka.send(self.topic(topic), env.to_bytes(), key=key.encode())
        if self._confirm:
            await delivery
        return env

    async def reconnect(self) -> None:
        """Drop every producer; the next send starts a new one. A producer that was talking
        to a broker that restarted can hold its queued batches for minutes (its idempotent
        sends wait for the old in-flight batch): a new producer starts clean."""
        producers, self._producers = self._producers, {}
        for producer in producers.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5.0)

    async def flush(self) -> None:
        for producer in self._producers.values():
            await producer.flush()

    # --- onboarding ------------------------------------------------------------------

    async def apply(self, application: Message) -> None:
        """Send an application (its particulars already sealed to KYC: see
        schemas.kyc.individual_application) or a wallet registration."""
        customer_id: uuid.UUID = getattr(application, "customer_id")  # noqa: B009
        await self.send(
            "kyc.applications",
            str(customer_id),
            application,
            correlation_id=customer_id,
            producer="onboarding",
        )

    async def register_wallet(
        self, customer_id: uuid.UUID, wallet_id: uuid.UUID, wallet: Wallet
    ) -> str:
        """Register `wallet`'s address under `wallet_id`, with its proof of control."""
        await self.send(
            "kyc.applications",
            str(customer_id),
            RegisterWallet(
                customer_id=customer_id,
                wallet_id=wallet_id,
                address=wallet.address,
                signature=wallet.prove_control(customer_id, wallet_id),
            ),
            correlation_id=customer_id,
            producer="onboarding",
        )
        return wallet.address

    async def register_bank_account(
        self, customer_id: uuid.UUID, account_id: uuid.UUID, account: BankAccount
    ) -> None:
        """Register a bank account to be paid out to, its details sealed to KYC (only KYC
        reads them; everything after names `account_id`)."""
        kyc = self.sealing_key("kyc")
        await self.send(
            "kyc.applications",
            str(customer_id),
            RegisterBankAccount(
                customer_id=customer_id,
                account_id=account_id,
                account=kyc.seal(account, bank_account_context(customer_id, account_id)),
            ),
            correlation_id=customer_id,
            producer="onboarding",
        )

    # --- the bank ----------------------------------------------------------------------

    async def deposit(
        self, remittance: str, amount: Money, payer: BankAccount, bank_reference: str = ""
    ) -> str:
        """The bank credits the reserve account; returns the bank's reference (a new one
        unless `bank_reference` repeats a notice, as a bank that notifies twice does). The
        payer and the remittance text travel sealed to settlement."""
        bank_reference = bank_reference or f"DEP{uuid.uuid4().hex[:16].upper()}"
        notice = deposit_received(
            self.sealing_key("settlement"),
            bank_reference,
            amount,
            dt.datetime.now(dt.UTC).date(),
            DepositParticulars(payer=payer, remittance=remittance),
        )
        await self.send(
            "settlement.bank-notifications",
            bank_reference,
            notice,
            correlation_id=uuid.uuid4(),
            producer="bank",
        )
        return bank_reference

    # --- the wallet gateway ------------------------------------------------------------

    async def quote(self, request: QuoteRedemption) -> None:
        await self.send(
            "redemption.requests",
            str(request.redemption_id),
            request,
            correlation_id=request.redemption_id,
            producer="wallet-gateway",
        )

    async def redeem(self, request: Redeem) -> None:
        await self.send(
            "redemption.requests",
            str(request.redemption_id),
            request,
            correlation_id=request.redemption_id,
            producer="wallet-gateway",
        )
