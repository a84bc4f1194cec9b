"""FX's unit of work on the batch's transaction: the repositories of use_cases/work.py FxWork
built on `self.connection`, each on first use, and the terms read at startup."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from services.fx.repository.conversions import Conversions, RedemptionLocks
from services.fx.repository.holds import RateHolds
from services.fx.repository.journal import Journal
from services.fx.repository.positions import Positions
from services.fx.repository.quotes import Quotes
from services.fx.repository.rates import RateBook
from services.fx.use_cases.work import FxTerms
from services.runtime.handlers import HandlerContext
from services.runtime.work import Work


class SqlWork(Work):
    def __init__(self, ctx: HandlerContext[Any], terms: FxTerms) -> None:
        super().__init__(ctx)
        self.terms = terms

    @cached_property
    def rates(self) -> RateBook:
        return RateBook(self.connection)

    @cached_property
    def holds(self) -> RateHolds:
        return RateHolds(self.connection)

    @cached_property
    def quotes(self) -> Quotes:
        return Quotes(self.connection)

    @cached_property
    def conversions(self) -> Conversions:
        # the batch's locks (handlers.prepare took them up front): one set per transaction
        return Conversions(self.connection, self.staged(RedemptionLocks))

    @cached_property
    def positions(self) -> Positions:
        return Positions(self.connection)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.connection)
