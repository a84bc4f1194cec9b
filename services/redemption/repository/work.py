"""The saga's use cases' work on a transaction: `SqlWork` for a message's (a batch's
transaction, through its handler's context), `SweepWork` for the watchdog's (its own
transaction, publishing through a Publisher). The sagas and their step log are the
transaction's staged ones, shared by the batch and written at its commit."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.redemption.domain.decide import Timing
from services.redemption.repository.outbox import Publications
from services.redemption.repository.quotes import Quotes
from services.redemption.repository.sagas import Sagas
from services.redemption.repository.step_log import StepLog
from services.redemption.settings import RedemptionSettings
from services.redemption.use_cases.work import Receivers
from services.runtime.clock import utc_now
from services.runtime.handlers import HandlerContext
from services.runtime.publisher import Outlet, Publisher
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import Work


class SqlWork(Work):
    def __init__(self, ctx: HandlerContext[Any], terms: Timing) -> None:
        super().__init__(ctx)
        self.terms = terms

    @property
    def causation_id(self) -> uuid.UUID | None:
        return self._ctx.message.causation_id

    @property
    def outlet(self) -> Outlet:
        return self._ctx

    @property
    def sagas(self) -> Sagas:
        return self.staged(Sagas)

    @property
    def step_log(self) -> StepLog:
        return self.staged(StepLog)

    @property
    def quotes(self) -> Quotes:
        return self.staged(Quotes)


class SweepWork:
    def __init__(self, uow: UnitOfWork, settings: RedemptionSettings, receivers: Receivers) -> None:
        self.terms = settings.timing
        self.outlet: Outlet = Publisher(uow.outbox, settings)
        self.sagas = uow.staged(Sagas)
        self.step_log = uow.staged(StepLog)
        self.publications = Publications(uow.connection)
        self.receivers = receivers

    def now(self) -> dt.datetime:
        return utc_now()
