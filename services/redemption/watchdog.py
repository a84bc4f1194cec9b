"""The watchdog: a background task of every replica that hands the sagas whose deadline
passed to their use case (use_cases/deadlines.py), one transaction per sweep. Replicas
share the work: each locks the rows it takes (SKIP LOCKED)."""

from __future__ import annotations

from services.redemption.adapters.receivers import Receivers
from services.redemption.repository.work import SweepWork
from services.redemption.settings import RedemptionSettings
from services.redemption.use_cases.deadlines import deadlines_passed
from services.runtime.periodic import every
from services.runtime.service import Service
from services.runtime.unit_of_work import UnitOfWork

BATCH = 200


class Watchdog:
    def __init__(self, receivers: Receivers) -> None:
        self.receivers = receivers

    async def __call__(self, service: Service) -> None:
        settings = service.settings
        assert isinstance(settings, RedemptionSettings)

        async def round_() -> bool:
            return await self.sweep(service, settings) == BATCH  # a full sweep: more are due

        await every(settings.redemption_watchdog_interval_s, round_, settings, "watchdog")

    async def sweep(self, service: Service, settings: RedemptionSettings) -> int:
        async with UnitOfWork(service.pool) as uow:
            moved = await deadlines_passed(SweepWork(uow, settings, self.receivers), BATCH)
            await uow.commit()
        return moved
