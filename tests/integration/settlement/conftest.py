"""Playing settlement's neighbours: KYC (wallet registrations, bank account checks and
their decisions), issuance (answers to mint
commands, supply events), the saga (payout commands) and the bank's outside producers
(deposit notifications). The settlement service runs as its own process, and pays through
the simulated bank, another process of its own (simulators/bank, started with settlement
by the environment), which delivers its own notices and statements."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_utils.address import to_checksum_address

from schemas import Codec, Envelope, Message, Money, Rejected, envelope
from schemas.issuance import Burned, Minted, MintForDeposit, MintRejected
from schemas.kyc import BankAccountRefused, BankAccountVerified, WalletRegistered
from schemas.sealed import SealingKey
from schemas.settlement import (
    BankAccount,
    BankAccountChecked,
    CheckBankAccount,
    DepositConfirmed,
    DepositMatched,
    DepositParticulars,
    DepositReceived,
    DepositRefunded,
    DepositSuspended,
    PayoutFailed,
    PayoutOutcomeUnknown,
    PayoutRejected,
    PayoutReturned,
    PayoutSent,
    PayoutSettled,
    PayoutStatus,
    QueryPayout,
    ReleaseReserve,
    ReserveMoved,
    ReserveReleased,
    SendPayout,
    account_check_context,
    deposit_received,
)
from tests.support.environment import Environment
from tests.support.money import cnh, tokens
from tests.support.process import run_module
from tests.support.sealing import sealing_key
from tests.support.world import Neighbours

FAST_BANK = {
    "CNH_SETTLEMENT_RECONCILE_INTERVAL_S": "0.3",
    "CNH_SETTLEMENT_UNKNOWN_GRACE_S": "1.0",
    "CNH_SETTLEMENT_BANK_TIMEOUT_S": "1.0",
    "CNH_SETTLEMENT_BANK_STATUS_AFTER_S": "0.5",
    "CNH_SETTLEMENT_BANK_STATUS_INTERVAL_S": "0.3",
    # the bank's own (the environment starts it with these)
    "CNH_BANK_DELIVERY_INTERVAL_S": "0.05",
    "CNH_BANK_SETTLE_DELAY_S": "0.2",
    "CNH_BANK_LATE_DELAY_S": "2.0",
    "CNH_BANK_RETURN_DELAY_S": "1.0",
    "CNH_BANK_STATEMENT_INTERVAL_S": "0.5",
}
"""Seconds instead of days: the same behaviours, quick enough for tests."""

EVENTS = Codec(
    [
        DepositConfirmed,
        DepositSuspended,
        DepositRefunded,
        PayoutSettled,
        PayoutFailed,
        PayoutReturned,
        DepositMatched,
        ReserveMoved,
    ]
)
REPLIES = Codec(
    [PayoutSent, PayoutRejected, PayoutOutcomeUnknown, PayoutStatus, ReserveReleased, Rejected]
)
CHECKED = Codec([BankAccountChecked, Rejected])
MINTS = Codec([MintForDeposit])


def payer(account_number: str = "012-345678-001", country: str = "HK") -> BankAccount:
    return BankAccount(
        holder_name="Chan Tai Man",
        account_number=account_number,
        bank_code="004",
        country=country,
    )


def deposit_reference() -> str:
    return "CNH-" + secrets.token_hex(5).upper()


def bank_reference() -> str:
    return "DEP" + secrets.token_hex(8).upper()


@dataclass
class Settlement:
    """The settlement service under test, and the test playing everyone around it."""

    platform: Environment
    neighbours: Neighbours = field(init=False)
    supply_minor: int = 0
    mints_seen: set[uuid.UUID] = field(default_factory=set)
    accounts: dict[tuple[str, str], tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)
    """Verified accounts on file by (number, country): (customer id, account id)."""

    def __post_init__(self) -> None:
        self.neighbours = Neighbours(self.platform)

    # --- KYC ---------------------------------------------------------------------------

    async def register_wallet(self, reference: str) -> tuple[uuid.UUID, uuid.UUID]:
        customer_id, wallet_id = uuid.uuid4(), uuid.uuid4()
        event = WalletRegistered(
            customer_id=customer_id,
            wallet_id=wallet_id,
            address=to_checksum_address("0x" + secrets.token_hex(20)),
            deposit_reference=reference,
            proof_of_control="verified",
        )
        await self.neighbours.tell("kyc", customer_id, event, correlation_id=customer_id)
        return customer_id, wallet_id

    async def check_account(
        self,
        account: BankAccount,
        customer_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, uuid.UUID, Envelope[Any]]:
        """KYC asks settlement to check an account with the bank (sealed to settlement);
        returns the ids and settlement's answer on kyc.replies."""
        customer_id, account_id = customer_id or uuid.uuid4(), account_id or uuid.uuid4()
        key = SealingKey.load(self.platform.servers.secrets_root, "settlement")
        check = CheckBankAccount(
            account_id=account_id,
            customer_id=customer_id,
            account=key.seal(account, account_check_context(customer_id, account_id)),
        )
        return customer_id, account_id, await self.ask_check(check)

    async def ask_check(self, check: CheckBankAccount) -> Envelope[Any]:
        """KYC's check as KYC sends it; settlement's answer to it, on kyc.replies."""
        command = self.neighbours.command(
            check, check.account_id, sender="kyc", reply_to="kyc.replies"
        )
        await self.platform.send("settlement.account-checks", str(check.account_id), command)
        replies = await self.neighbours.replies_to([command], CHECKED)
        return replies[command.message_id][0]

    async def kyc_decides(
        self, customer_id: uuid.UUID, account_id: uuid.UUID, verified: bool = True
    ) -> None:
        """KYC's decision on kyc.events; returns once settlement applied it."""
        event: Message = (
            BankAccountVerified(customer_id=customer_id, account_id=account_id)
            if verified
            else BankAccountRefused(
                customer_id=customer_id, account_id=account_id, reason="bank_name_mismatch"
            )
        )
        await self.neighbours.tell("kyc", customer_id, event, correlation_id=account_id)
        state = "verified" if verified else "refused"
        await self.wait_rows(
            f"SELECT 1 FROM bank_accounts WHERE account_id = '{account_id}' AND state = '{state}'",
            bool,
        )

    async def verified_account(
        self, account_number: str, country: str = "HK"
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """An account on file that KYC verified, for a customer of its own (one per number)."""
        if (account_number, country) not in self.accounts:
            customer_id, account_id, _ = await self.check_account(payer(account_number, country))
            await self.kyc_decides(customer_id, account_id)
            self.accounts[account_number, country] = (customer_id, account_id)
        return self.accounts[account_number, country]

    async def wait_wallets(self, count: int) -> None:
        await self.wait_rows(
            "SELECT count(*) AS n FROM wallets", lambda rows: rows[0]["n"] >= count
        )

    # --- the bank ------------------------------------------------------------------------

    def deposit(
        self,
        amount_minor: int,
        remittance: str,
        reference: str | None = None,
        account: str = "012-345678-001",
    ) -> DepositReceived:
        return deposit_received(
            sealing_key("settlement"),
            reference or bank_reference(),
            cnh(amount_minor),
            dt.date.today(),
            DepositParticulars(payer=payer(account), remittance=remittance),
        )

    async def bank_sends(self, *notices: Message) -> None:
        for notice in notices:
            key = getattr(notice, "bank_reference", "bank")
            env = envelope(notice, producer="bank-simulator", correlation_id=uuid.uuid4())
            await self.platform.send("settlement.bank-notifications", key, env)

    # --- issuance ------------------------------------------------------------------------

    async def mint_commands(self, count: int) -> list[Envelope[Any]]:
        records = await self.platform.read("issuance.mints", lambda rs: len(rs) >= count)
        # one key for every mint: issuance reads them in the order their reserves were booked
        assert {r.key for r in records} == {b"mints"}
        return [MINTS.decode(r.value) for r in records]

    async def answer_mint(self, command: Envelope[Any], reject: str | None = None) -> None:
        mint: MintForDeposit = command.payload
        reply: Message
        if reject:
            reply = MintRejected(deposit_id=mint.deposit_id, reason=reject, detail="test")  # type: ignore[arg-type]
        else:
            if mint.deposit_id not in self.mints_seen:
                self.mints_seen.add(mint.deposit_id)
                self.supply_minor += mint.amount.amount_minor
            reply = Minted(
                deposit_id=mint.deposit_id,
                mint_id=uuid.uuid5(mint.deposit_id, "mint"),
                customer_id=mint.customer_id,
                wallet_id=mint.wallet_id,
                amount=mint.amount,
                supply_after=tokens(self.supply_minor),
            )
            # issuance's fact, which settlement's supply view reads
            await self.neighbours.tell(
                "issuance", mint.wallet_id, reply, correlation_id=mint.deposit_id
            )
        assert command.reply_to == self.platform.topic("settlement.replies")
        reply_env = envelope(
            reply,
            producer="issuance",
            correlation_id=command.correlation_id,
            causation_id=command.message_id,
        )
        await self.platform.send_raw(
            "settlement.replies", [(str(mint.deposit_id).encode(), reply_env.to_bytes())]
        )

    async def burn(self, wallet_id: uuid.UUID, redemption_id: uuid.UUID, amount: Money) -> None:
        self.supply_minor -= amount.amount_minor
        event = Burned(
            redemption_id=redemption_id,
            burn_id=uuid.uuid4(),
            wallet_id=wallet_id,
            amount=amount,
            supply_after=tokens(self.supply_minor),
        )
        await self.neighbours.tell("issuance", wallet_id, event, correlation_id=redemption_id)

    # --- the saga ------------------------------------------------------------------------

    async def command(
        self, payload: Message, redemption_id: uuid.UUID, at: dt.datetime | None = None
    ) -> uuid.UUID:
        env = self.neighbours.command(payload, redemption_id, occurred_at=at)
        await self.platform.send("settlement.commands", str(redemption_id), env)
        return env.message_id

    async def send_payout(
        self,
        redemption_id: uuid.UUID,
        amount: Money,
        account: str,
        par: Money | None = None,
        country: str = "HK",
        at: dt.datetime | None = None,
    ) -> uuid.UUID:
        """The saga's SendPayout to a verified account of the customer's (on file first);
        `at` backdates it (a redemption started back then)."""
        customer_id, account_id = await self.verified_account(account, country)
        return await self.payout_to(redemption_id, amount, customer_id, account_id, par=par, at=at)

    async def payout_to(
        self,
        redemption_id: uuid.UUID,
        amount: Money,
        customer_id: uuid.UUID,
        account_id: uuid.UUID,
        par: Money | None = None,
        at: dt.datetime | None = None,
    ) -> uuid.UUID:
        """The saga's SendPayout naming `customer_id` and `account_id`, whatever is on file."""
        return await self.command(
            SendPayout(
                redemption_id=redemption_id,
                customer_id=customer_id,
                amount=amount,
                beneficiary_account_id=account_id,
                par_value=par or cnh(amount.amount_minor),
                conversion_id=None if amount.currency == "CNH" else uuid.uuid4(),
            ),
            redemption_id,
            at,
        )

    async def query(self, redemption_id: uuid.UUID) -> uuid.UUID:
        return await self.command(QueryPayout(redemption_id=redemption_id), redemption_id)

    async def release(self, redemption_id: uuid.UUID, amount: Money) -> uuid.UUID:
        return await self.command(
            ReleaseReserve(redemption_id=redemption_id, amount=amount), redemption_id
        )

    # --- reading back --------------------------------------------------------------------

    async def replies(self, done: Callable[[list[Envelope[Any]]], bool]) -> list[Envelope[Any]]:
        return await self.neighbours.read("redemption.replies", REPLIES, done)

    async def events(self, done: Callable[[list[Envelope[Any]]], bool]) -> list[Envelope[Any]]:
        return await self.neighbours.read("settlement.events", EVENTS, done)

    async def wait_rows(
        self, sql: str, done: Callable[[list[Any]], bool], timeout_s: float = 60.0
    ) -> list[Any]:
        return await self.platform.query_until("settlement", sql, done, timeout_s=timeout_s)

    async def cli(self, *args: str) -> tuple[int, str, str]:
        env = {
            **os.environ,
            **await self.platform.service_env("settlement", **FAST_BANK),
            # issuance is played by the test: its database is there, and empty
            "CNH_SETTLEMENT_ISSUANCE_DATABASE_URL": await self.platform.database("issuance"),
        }
        return await run_module("services.settlement.cli", *args, env=env)

    async def trial_balance(self) -> dict[str, int]:
        rows = await self.platform.query(
            "settlement",
            """
            SELECT currency, sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END)
                   AS net
              FROM journal_lines GROUP BY currency
            """,
        )
        return {r["currency"]: int(r["net"]) for r in rows}

    async def balance(self, account: str) -> int:
        rows = await self.platform.query(
            "settlement", "SELECT balance_minor FROM accounts WHERE account = $1", account
        )
        return int(rows[0]["balance_minor"]) if rows else 0


@pytest.fixture
async def settlement(platform: Environment) -> Settlement:
    await platform.start("settlement", **FAST_BANK)
    return Settlement(platform)


def of_type(envelopes: list[Envelope[Any]], kind: type[Message]) -> list[Any]:
    return [e.payload for e in envelopes if isinstance(e.payload, kind)]
