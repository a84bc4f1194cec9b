"""Issuance on real Kafka and PostgreSQL: the test plays KYC (kyc.events), settlement (its
deposit and reserve facts on settlement.events, mints, replies on settlement.replies) and the
redemption saga (holds, replies on redemption.replies)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_utils.address import to_checksum_address

from schemas import Codec, Envelope, Message, Rejected
from schemas.issuance import (
    Burned,
    BurnHeld,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    Minted,
    MintForDeposit,
    MintRejected,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
from schemas.kyc import CustomerVerified, WalletRegistered
from schemas.money import par_cnh
from schemas.settlement import DepositMatched, ReserveMoved
from tests.support.environment import Environment
from tests.support.money import cnh, tokens
from tests.support.process import ServiceProcess
from tests.support.world import Neighbours

REPLIES = Codec(
    [
        Minted, MintRejected, HoldPlaced, HoldRejected, HoldReleased, ReleaseRejected, Burned,
        BurnRejected, Rejected,
    ]
)  # fmt: skip
EVENTS = Codec([Minted, HoldPlaced, HoldReleased, Burned])
TOKEN_UNIT = 1_000_000
"""One token in minor units."""


def address(wallet_id: uuid.UUID) -> str:
    return to_checksum_address("0x" + wallet_id.hex + wallet_id.hex[:8])


@dataclass
class Issuance:
    """The service under test and the other services' side of its contracts."""

    platform: Environment
    processes: list[ServiceProcess] = field(default_factory=list)
    told: set[uuid.UUID] = field(default_factory=set)
    """The deposits settlement's facts were sent for."""

    async def start(self, instance: str = "0") -> ServiceProcess:
        # the namespace's own groups (the default): other tests never join its rebalances
        process = await self.platform.start("issuance", instance)
        self.processes.append(process)
        return process

    # --- KYC's side ---------------------------------------------------------------------

    @property
    def neighbours(self) -> Neighbours:
        return Neighbours(self.platform)

    async def kyc(self, customer_id: uuid.UUID, *events: Message) -> None:
        await self.neighbours.tell("kyc", customer_id, *events, correlation_id=customer_id)

    async def verified_wallets(self, count: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """`count` verified customers with one registered wallet each, known to issuance."""
        pairs = [(uuid.uuid4(), uuid.uuid4()) for _ in range(count)]
        for customer_id, wallet_id in pairs:
            await self.kyc(customer_id, *onboarding(customer_id, wallet_id))
        await self.wait_for_wallets({w for _, w in pairs})
        return pairs

    async def wait_for_wallets(self, wallet_ids: set[uuid.UUID]) -> None:
        await self.wait_until(
            "SELECT count(*) AS n FROM wallets WHERE wallet_id = ANY($1::uuid[]) AND registered",
            lambda rows: rows[0]["n"] == len(wallet_ids),
            list(wallet_ids),
        )

    async def wait_until(self, sql: str, done: Any, *args: object, timeout_s: float = 60) -> Any:
        return await self.platform.query_until("issuance", sql, done, *args, timeout_s=timeout_s)

    # --- settlement's and the saga's side -----------------------------------------------

    def command(self, payload: Message, *, message_id: uuid.UUID | None = None) -> Envelope[Any]:
        mint = isinstance(payload, MintForDeposit)
        flow = payload.deposit_id if isinstance(payload, MintForDeposit) else None
        flow = flow or getattr(payload, "redemption_id", None) or uuid.uuid4()
        return self.neighbours.command(
            payload,
            flow,
            sender="settlement" if mint else "redemption",
            reply_to="settlement.replies" if mint else "redemption.replies",
            message_id=message_id,
        )

    async def send(self, wallet_id: uuid.UUID, *commands: Envelope[Any], told: bool = True) -> None:
        """The commands, each mint's deposit told first as settlement does (`told=False`:
        mints of deposits settlement never told of, as a forger would send them)."""
        if told:
            await self.tell(c.payload for c in commands if isinstance(c.payload, MintForDeposit))
        mints = [c for c in commands if isinstance(c.payload, MintForDeposit)]
        others = [c for c in commands if not isinstance(c.payload, MintForDeposit)]
        # settlement's mints and the saga's commands travel on topics of their own
        if mints:
            await self.platform.send("issuance.mints", "mints", *mints)
        if others:
            await self.platform.send("issuance.commands", str(wallet_id), *others)

    async def tell(self, mints: Iterable[MintForDeposit], *, credited: bool = True) -> None:
        """Settlement's facts of these mints' deposits (the reserve credited with each,
        unless not `credited`), once per deposit, recorded by issuance when this returns."""
        new = {m.deposit_id: m for m in mints if m.deposit_id not in self.told}
        for deposit_id, mint in new.items():
            facts = deposit_facts(mint, credited=credited)
            await self.neighbours.tell("settlement", deposit_id, *facts, correlation_id=deposit_id)
        self.told |= new.keys()
        if new:
            await self.wait_until(
                "SELECT count(*) AS n FROM deposits WHERE deposit_id = ANY($1::uuid[])",
                lambda rows: rows[0]["n"] == len(new),
                list(new),
            )

    async def replies(self, commands: Iterable[Envelope[Any]]) -> dict[uuid.UUID, Message]:
        """The reply to each command, by command id (waits until every one is answered)."""
        answers = await self.neighbours.replies_to(commands, REPLIES)
        return {command_id: replies[0].payload for command_id, replies in answers.items()}

    async def events(self, count: int) -> list[Message]:
        found = await self.neighbours.read("issuance.events", EVENTS, lambda es: len(es) >= count)
        return [e.payload for e in found]

    async def balances(self) -> dict[uuid.UUID, int]:
        rows = await self.platform.query(
            "issuance", "SELECT wallet_id, balance FROM accounts WHERE kind = 'wallet'"
        )
        return {r["wallet_id"]: r["balance"] for r in rows}


def onboarding(customer_id: uuid.UUID, wallet_id: uuid.UUID) -> list[Message]:
    return [
        CustomerVerified(customer_id=customer_id, tier="standard", due_diligence="standard"),
        WalletRegistered(
            customer_id=customer_id,
            wallet_id=wallet_id,
            address=address(wallet_id),
            deposit_reference="CNH-" + wallet_id.hex[:10].upper(),
            proof_of_control="verified",
        ),
    ]


def mint(
    customer_id: uuid.UUID,
    wallet_id: uuid.UUID,
    whole_tokens: int,
    *,
    reserve_fen: int = 10**15,
    deposit_id: uuid.UUID | None = None,
) -> MintForDeposit:
    return MintForDeposit(
        deposit_id=deposit_id or uuid.uuid4(),
        customer_id=customer_id,
        wallet_id=wallet_id,
        amount=tokens(whole_tokens * TOKEN_UNIT),
        reserve_balance=cnh(reserve_fen),
    )


def deposit_facts(mint: MintForDeposit, *, credited: bool = True) -> list[Message]:
    """What settlement tells on settlement.events before it asks for this mint."""
    matched = DepositMatched(
        deposit_id=mint.deposit_id,
        customer_id=mint.customer_id,
        wallet_id=mint.wallet_id,
        amount=par_cnh(mint.amount),
        tokens=mint.amount,
    )
    if not credited:
        return [matched]
    credit = ReserveMoved(
        entry_id=uuid.uuid4(),
        direction="in",
        amount=par_cnh(mint.amount),
        cause="deposit_matched",
        deposit_id=mint.deposit_id,
        redemption_id=None,
    )
    return [credit, matched]


def place(redemption_id: uuid.UUID, wallet_id: uuid.UUID, whole_tokens: int) -> PlaceHold:
    return PlaceHold(
        redemption_id=redemption_id, wallet_id=wallet_id, amount=tokens(whole_tokens * TOKEN_UNIT)
    )


def release(redemption_id: uuid.UUID) -> ReleaseHold:
    return ReleaseHold(redemption_id=redemption_id)


def burn(redemption_id: uuid.UUID) -> BurnHeld:
    return BurnHeld(redemption_id=redemption_id)


@pytest.fixture
async def issuance(platform: Environment) -> Issuance:
    harness = Issuance(platform)
    await harness.start()
    return harness
