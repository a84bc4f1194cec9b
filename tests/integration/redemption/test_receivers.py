"""The saga sees, on the real broker and under the registry's ACLs, whether a service it
commands has read its command: redemption may describe its receivers' groups."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import GroupCoordinatorNotAvailableError

from schemas import envelope
from schemas.kyc import ReleaseReservation
from services.redemption.adapters.receivers import Receivers
from services.redemption.settings import RedemptionSettings
from services.runtime.lag import GroupPositions
from tests.support.environment import Environment
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def sampled(receivers: Receivers, broker: GroupPositions) -> None:
    """One sample, as the service's watch takes them: a fresh broker still electing its
    group coordinator is asked again (the watch's next round), not failed."""

    async def attempt() -> bool:
        try:
            await receivers.sample(broker)
        except GroupCoordinatorNotAvailableError:
            return False
        return True

    await eventually(attempt, bool, what="a sample of the receivers' positions")


async def test_a_command_counts_as_arrived_once_kyc_has_committed_past_it(
    platform: Environment,
) -> None:
    settings = RedemptionSettings(
        service="redemption",
        kafka_bootstrap=platform.servers.kafka_bootstrap,
        secrets_root=str(platform.servers.secrets_root),
        topic_namespace=platform.namespace,
        database_url="postgresql://unused/redemption",
    )
    key = str(uuid.uuid4())
    published = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    command = envelope(
        ReleaseReservation(redemption_id=uuid.uuid4()),
        producer="redemption",
        correlation_id=uuid.uuid4(),
    )
    await platform.send("kyc.commands", key, command)
    receivers = Receivers(settings)
    async with GroupPositions(settings.kafka, "test") as broker:
        await sampled(receivers, broker)
        assert not receivers.delivered("kyc.commands", key, published), "kyc has read nothing"

        kyc = AIOKafkaConsumer(
            platform.topic("kyc.commands"),
            **platform.servers.kafka_as("kyc").client_options(),
            group_id=settings.group_of("kyc", "kyc.commands"),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await kyc.start()
        try:
            while not await kyc.getmany(timeout_ms=1000):
                pass
            await kyc.commit()
        finally:
            await kyc.stop()

        await sampled(receivers, broker)
        assert receivers.delivered("kyc.commands", key, published)
