"""Settlement's work on a transaction: `SqlWork` for a message handled (the batch's
transaction, through its handler's context), `SweepWork` for a background round or an
operator's action (a transaction of its own, publishing through the runtime's Publisher).
Both build the repositories of use_cases/work.py SettlementWork on their connection: the
ones a batch shares (what `prepare` locked and read, what is written at the commit) are
the transaction's staged ones."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cached_property
from typing import Any

from services.runtime.db import Connection
from services.runtime.handlers import HandlerContext
from services.runtime.settings import ServiceSettings
from services.runtime.unit_of_work import UnitOfWork, W
from services.runtime.work import OwnWork, Work
from services.settlement.adapters.bank.port import AnsweredAhead, BankAnswers, BankRail
from services.settlement.repository.accounts import Accounts
from services.settlement.repository.deposits import Deposits
from services.settlement.repository.history import Anomalies, History
from services.settlement.repository.ledger import Journal
from services.settlement.repository.payouts import PayoutBook
from services.settlement.repository.statements import Notices, Statements
from services.settlement.repository.supply import Releases, Supply
from services.settlement.repository.wallets import References
from services.settlement.use_cases.work import Terms


class _Repositories:
    """SettlementWork's repositories on `connection`; the subclass says where the
    transaction's staged ones come from."""

    connection: Connection

    def staged(self, kind: type[W]) -> W:
        raise NotImplementedError

    @property
    def journal(self) -> Journal:
        return self.staged(Journal)

    @property
    def history(self) -> History:
        return self.staged(History)

    @property
    def deposits(self) -> Deposits:
        return self.staged(Deposits)

    @property
    def references(self) -> References:
        return self.staged(References)

    @property
    def accounts(self) -> Accounts:
        return self.staged(Accounts)

    @property
    def payouts(self) -> PayoutBook:
        return self.staged(PayoutBook)

    @property
    def notices(self) -> Notices:
        return self.staged(Notices)

    @property
    def releases(self) -> Releases:
        return self.staged(Releases)

    @property
    def supply(self) -> Supply:
        return self.staged(Supply)

    @cached_property
    def anomalies(self) -> Anomalies:
        return Anomalies(self.connection)

    @cached_property
    def statements(self) -> Statements:
        return Statements(self.connection)


class SqlWork(Work, _Repositories):
    """`rail`: the bank; the orders a batch submitted ahead (handlers' prepare) are
    answered from what the bank said then."""

    def __init__(self, ctx: HandlerContext[Any], terms: Terms, rail: BankRail) -> None:
        Work.__init__(self, ctx)
        self.terms = terms
        self._rail = rail

    @property
    def actor(self) -> str:
        return f"{self._ctx.message.producer}:{self._ctx.message.type}"

    @property
    def cause(self) -> uuid.UUID | None:
        return self.message_id

    @property
    def occurred_at(self) -> dt.datetime:
        return self._ctx.message.occurred_at

    @cached_property
    def bank(self) -> BankRail:
        return AnsweredAhead(self._rail, self.staged(BankAnswers).answers)


class SweepWork(OwnWork, _Repositories):
    """A round or an action of its own (OwnWork): no message caused it, so its journal
    entries name none."""

    def __init__(
        self, uow: UnitOfWork, terms: Terms, settings: ServiceSettings, bank: BankRail,
        actor: str,
    ) -> None:  # fmt: skip
        OwnWork.__init__(self, uow, settings)
        self.terms = terms
        self.bank = bank
        self.actor = actor
        self.cause: uuid.UUID | None = None

    @property
    def occurred_at(self) -> dt.datetime:
        return self.now()
