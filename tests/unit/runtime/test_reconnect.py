"""After a refused connection a client waits before trying that broker again (aiokafka has
no reconnect backoff of its own: services/runtime/reconnect.py)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import client as aiokafka_client
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.metadata import MetadataResponse_v0

import services.runtime.access  # noqa: F401  (installs the backoff, as every client does)
from services.runtime import reconnect
from services.runtime.reconnect import ReconnectBackoff


class Broker:
    """Stands in for aiokafka's connection factory: refuses while away, counts attempts."""

    def __init__(self) -> None:
        self.away = True
        self.attempts = 0

    async def create_conn(self, *_: Any, **__: Any) -> Any:
        self.attempts += 1
        if self.away:
            raise OSError(111, "Connection refused")
        return Connected()


class Connected:
    def connected(self) -> bool:
        return True

    def close(self, *_: Any, **__: Any) -> None:
        pass


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    fake = Broker()
    monkeypatch.setattr(aiokafka_client, "create_conn", fake.create_conn)
    reconnect.install(ReconnectBackoff(initial_s=0.05, max_s=0.2))
    yield fake
    reconnect.install()


async def client() -> AIOKafkaClient:
    kafka = AIOKafkaClient(bootstrap_servers="127.0.0.1:1")
    kafka.cluster._bootstrap_brokers = {}
    kafka.cluster.update_metadata(metadata_with_one_broker())
    return kafka


def metadata_with_one_broker() -> Any:
    return MetadataResponse_v0([(1, "127.0.0.1", 1)], [])


async def test_a_refused_broker_is_not_tried_again_before_its_backoff(broker: Broker) -> None:
    kafka = await client()
    assert await kafka._get_conn(1) is None
    for _ in range(20):  # a fetch, a heartbeat, a metadata refresh, each asking at once
        assert await kafka._get_conn(1) is None
    assert broker.attempts == 1

    await asyncio.sleep(0.06)
    assert await kafka._get_conn(1) is None
    assert broker.attempts == 2


async def test_the_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = ReconnectBackoff(initial_s=0.05, max_s=1.0)
    ceilings = [max(backoff.delay(n) for _ in range(50)) for n in range(1, 8)]
    assert ceilings[0] <= 0.05
    assert 0.08 <= ceilings[1] <= 0.1
    assert 0.8 <= ceilings[-1] <= 1.0


async def test_a_returning_broker_is_found_within_the_ceiling_and_the_backoff_resets(
    broker: Broker,
) -> None:
    kafka = await client()
    for _ in range(6):
        await kafka._get_conn(1)
        await asyncio.sleep(0.06)
    broker.away = False
    await asyncio.sleep(0.2)
    assert await kafka._get_conn(1) is not None
    assert kafka.__dict__["_cnh_refused"] == {}


def test_the_wrapped_method_keeps_aiokafkas_signature() -> None:
    """An aiokafka upgrade that changes `_get_conn` must fail here, not in production."""
    original = AIOKafkaClient._get_conn._cnh_reconnect_backoff
    assert list(inspect.signature(original).parameters) == ["self", "node_id", "group", "no_hint"]
