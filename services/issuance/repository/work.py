"""SqlWork: issuance's use cases' work on the batch's transaction. The repositories a batch
shares (what `prepare` locked and read, what is written at the commit) are the
transaction's staged ones; the others are built on the connection for each message."""

from __future__ import annotations

from typing import Any

from services.issuance.repository.balances import Balances
from services.issuance.repository.decisions import Decisions
from services.issuance.repository.holds import Burns, Holds
from services.issuance.repository.kyc_view import KycView, Owners
from services.issuance.repository.ledger import Ledger
from services.issuance.repository.mints import Mints
from services.issuance.repository.settlement_view import Deposits, Reserve
from services.issuance.use_cases.work import Terms
from services.runtime.handlers import HandlerContext
from services.runtime.work import Work


class SqlWork(Work):
    def __init__(self, ctx: HandlerContext[Any], terms: Terms) -> None:
        super().__init__(ctx)
        self.terms = terms

    @property
    def mints(self) -> Mints:
        return self.staged(Mints)

    @property
    def deposits(self) -> Deposits:
        return self.staged(Deposits)

    @property
    def reserve(self) -> Reserve:
        return self.staged(Reserve)

    @property
    def owners(self) -> Owners:
        return self.staged(Owners)

    @property
    def balances(self) -> Balances:
        return self.staged(Balances)

    @property
    def holds(self) -> Holds:
        return self.staged(Holds)

    @property
    def decisions(self) -> Decisions:
        return self.staged(Decisions)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.connection)

    @property
    def burns(self) -> Burns:
        return Burns(self.connection)

    @property
    def kyc(self) -> KycView:
        return KycView(self.connection)
