"""Restarts the local broker (infra/kafka/kafka.sh, as `make infra-up` runs it), for the
tests and the benchmark that show the platform riding out a broker restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaClient

from services.runtime.access import KafkaAccess

KAFKA_SH = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "kafka.sh"


async def kafka_sh(action: str) -> None:
    """`kafka.sh start|stop` with this process's environment (RUN_DIR, KAFKA_PORT, ...)."""
    process = await asyncio.create_subprocess_exec(
        str(KAFKA_SH), action, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"kafka.sh {action} failed: {output.decode(errors='replace')}")


async def answers(access: KafkaAccess) -> bool:
    """Whether a fresh client logs in and reads the cluster's metadata."""
    client = AIOKafkaClient(**{**access.client_options(), "request_timeout_ms": 2_000})
    try:
        await asyncio.wait_for(client.bootstrap(), 3.0)
        return bool(client.cluster.brokers())
    except Exception:
        return False
    finally:
        await client.close()


async def restart_broker(access: KafkaAccess) -> tuple[float, float, float]:
    """Stop the broker and start it again; returns when the stop was issued, when the broker
    was stopped and when it answered again (`answers`), on the monotonic clock."""
    down_at = time.monotonic()
    await kafka_sh("stop")
    stopped_at = time.monotonic()
    starting = asyncio.create_task(kafka_sh("start"))
    while not await answers(access):  # noqa: ASYNC110  (polled: no event to wait on)
        await asyncio.sleep(0.2)
    ready_at = time.monotonic()
    await starting
    return down_at, stopped_at, ready_at
