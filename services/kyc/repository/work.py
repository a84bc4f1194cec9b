"""KYC's work on a transaction: `SqlWork` for a message handled (the batch's transaction),
`OperatorWork` for an operator's action or a start-up step (a transaction of its own).
Both build the repositories of use_cases/work.py KycWork on their connection, each on
first use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any, TypeVar

from services.kyc.repository.bank_accounts import BankAccounts
from services.kyc.repository.customers import Customers
from services.kyc.repository.eligibility import Checks, Locked
from services.kyc.repository.history import History
from services.kyc.repository.sanctions import Prepared, SanctionsLists, Screenings
from services.kyc.repository.wallets import Wallets
from services.kyc.use_cases.work import Terms
from services.runtime.db import Connection, Pool
from services.runtime.handlers import HandlerContext
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import UnitOfWork, W
from services.runtime.work import OwnWork, Work


class _Repositories:
    """KycWork's repositories on `connection`; the subclass says where the transaction's
    staged ones come from (`staged`) and which screener the process prepared."""

    connection: Connection
    prepared: Prepared

    def staged(self, kind: type[W]) -> W:
        """The transaction's writer of `kind` (the unit of work's)."""
        raise NotImplementedError

    @cached_property
    def customers(self) -> Customers:
        return Customers(self.connection)

    @cached_property
    def wallets(self) -> Wallets:
        return Wallets(self.connection)

    @cached_property
    def accounts(self) -> BankAccounts:
        return BankAccounts(self.connection)

    @cached_property
    def lists(self) -> SanctionsLists:
        return SanctionsLists(self.connection, self.prepared)

    @cached_property
    def screenings(self) -> Screenings:
        return Screenings(self.connection)

    @cached_property
    def checks(self) -> Checks:
        # the batch's locks (handlers' prepare took them up front): one set per transaction
        return Checks(self.connection, self.staged(Locked))

    @cached_property
    def history(self) -> History:
        return History(self.connection)


class SqlWork(Work, _Repositories):
    def __init__(self, ctx: HandlerContext[Any], terms: Terms, prepared: Prepared) -> None:
        Work.__init__(self, ctx)
        self.terms = terms
        self.prepared = prepared


class OperatorWork(OwnWork, _Repositories):
    """An action of its own (OwnWork: a fresh id, the cause its history rows and events
    name, and what their ids derive from)."""

    def __init__(self, uow: UnitOfWork, terms: Terms, settings: ServiceSettings) -> None:
        OwnWork.__init__(self, uow, settings)
        self.terms = terms
        # an action screens against what it activates (screener_of), never the cached set
        self.prepared = Prepared()


CommandT = TypeVar("CommandT")
ResultT = TypeVar("ResultT")


async def operate(
    pool: Pool,
    terms: Terms,
    settings: ServiceSettings,
    verb: Callable[[OperatorWork, CommandT], Awaitable[ResultT]],
    command: CommandT,
) -> ResultT:
    """`verb` in a transaction of its own, committed when it returns."""
    async with UnitOfWork(pool) as uow:
        result = await verb(OperatorWork(uow, terms, settings), command)
        await uow.commit()
    return result
