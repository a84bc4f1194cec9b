"""The work issuance's use cases do their work through: the repositories they read and
change (only the methods they call), the clock, the outbox, and the service's terms."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from services.issuance.domain.holds import Hold, HoldState
from services.issuance.domain.ledger import Movement
from services.issuance.domain.records import BurnRow, Decision, MintRow
from services.issuance.domain.views import CustomerStatus, CustomerView, DepositView, WalletView
from services.runtime.work import UseCaseWork


@dataclass(frozen=True, slots=True)
class Terms:
    """This replica's settings: `instance` names it in the decision log; a mint batch waits
    up to `deposit_wait_s` for the facts of its deposits."""

    instance: str
    deposit_wait_s: float = 0.5


class Mints(Protocol):
    async def of(self, deposit_id: uuid.UUID) -> MintRow | None: ...
    def record(self, mint: MintRow, reserve_cnh: int, command_id: uuid.UUID) -> None: ...


class Deposits(Protocol):
    async def of(self, deposit_id: uuid.UUID) -> DepositView | None: ...
    def matched(self, deposit: DepositView, event_id: uuid.UUID) -> None: ...
    async def refunded(self, deposit_id: uuid.UUID, event_id: uuid.UUID) -> None: ...


class Reserve(Protocol):
    async def balance(self) -> int: ...
    def moved(
        self, entry_id: uuid.UUID, direction: Literal["in", "out"], amount_fen: int, cause: str,
        deposit_id: uuid.UUID | None, redemption_id: uuid.UUID | None, event_id: uuid.UUID,
    ) -> None: ...  # fmt: skip


class Owners(Protocol):
    async def of(self, wallet_id: uuid.UUID) -> tuple[WalletView | None, CustomerView | None]: ...


class Balances(Protocol):
    async def of(self, account: str) -> int | None: ...
    async def issuer(self) -> tuple[int, int]: ...
    async def lock(self, accounts: Iterable[str]) -> None: ...
    def moved(self, movement: Movement) -> None: ...


class Ledger(Protocol):
    async def post(
        self, movement: Movement, command_id: uuid.UUID, correlation_id: uuid.UUID
    ) -> None: ...


class Holds(Protocol):
    async def of(self, redemption_id: uuid.UUID) -> Hold | None: ...
    async def open(
        self, redemption_id: uuid.UUID, wallet_id: uuid.UUID, amount: int,
        command_id: uuid.UUID,
    ) -> None: ...  # fmt: skip
    async def cancel(self, redemption_id: uuid.UUID, command_id: uuid.UUID) -> None: ...
    async def close(
        self, redemption_id: uuid.UUID, state: HoldState, command_id: uuid.UUID
    ) -> None: ...
    async def burn(self, burn: BurnRow, command_id: uuid.UUID) -> None: ...


class Burns(Protocol):
    async def of_redemption(self, redemption_id: uuid.UUID) -> BurnRow | None: ...


class Decisions(Protocol):
    def record(self, decision: Decision, instance: str) -> None: ...


class KycView(Protocol):
    async def set_customer_status(
        self, customer_id: uuid.UUID, status: CustomerStatus, reason: str | None,
        event_id: uuid.UUID,
    ) -> None: ...  # fmt: skip
    async def set_customer_frozen(
        self, customer_id: uuid.UUID, frozen: bool, reason: str | None, event_id: uuid.UUID
    ) -> None: ...
    async def register_wallet(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, proof_of_control: str,
        event_id: uuid.UUID,
    ) -> None: ...  # fmt: skip
    async def set_wallet_frozen(
        self, wallet_id: uuid.UUID, customer_id: uuid.UUID, frozen: bool, reason: str | None,
        event_id: uuid.UUID,
    ) -> None: ...  # fmt: skip


class IssuanceWork(UseCaseWork, Protocol):
    """One message's work: what it may read and change, and where its facts go."""

    @property
    def terms(self) -> Terms: ...
    @property
    def mints(self) -> Mints: ...
    @property
    def deposits(self) -> Deposits: ...
    @property
    def reserve(self) -> Reserve: ...
    @property
    def owners(self) -> Owners: ...
    @property
    def balances(self) -> Balances: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def holds(self) -> Holds: ...
    @property
    def burns(self) -> Burns: ...
    @property
    def decisions(self) -> Decisions: ...
    @property
    def kyc(self) -> KycView: ...
