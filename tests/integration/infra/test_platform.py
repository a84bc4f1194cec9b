"""`make up` during an outage: the services start and wait (exit 0), `make status` says what
each waits for and exits 1, a killed one is shown dead, `make down` stops them. PostgreSQL
and Kafka are 'down' behind gates that are never opened (tests/support/gate.py); the
catching up once they return is test_waiting's (tests/integration/runtime)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.gate import Gate, free_port
from tests.support.polling import eventually
from tests.support.process import run_module
from tests.support.servers import Servers

pytestmark = pytest.mark.integration


async def platform(env: dict[str, str], *args: str) -> tuple[int, str]:
    code, out, err = await run_module("infra.platform", *args, env=env, timeout_s=120)
    return code, out + err


async def test_up_during_an_outage_starts_services_that_wait(
    servers: Servers, tmp_path: Path
) -> None:
    async with Gate(servers.postgres_address) as postgres, Gate(servers.kafka_bootstrap) as kafka:
        env = {
            **os.environ,
            "RUN_DIR": str(tmp_path),
            "HEALTH_PORT_BASE": str(free_port()),  # issuance: + 100
            "CNH_SECRETS_ROOT": str(servers.secrets_root),
            "CNH_KAFKA_BOOTSTRAP": kafka.address,
            "CNH_DATABASE_URL_TEMPLATE": f"postgresql://{{user}}@{postgres.address}/{{service}}",
            "CNH_DEPENDENCY_WAIT_MAX_S": "0.5",
        }
        try:
            code, output = await platform(env, "up", "kyc")
            assert code == 0, output
            assert "kyc-0          started, WAITING for postgresql since" in output

            code, output = await platform(env, "status")
            assert code == 1, output
            assert "kyc-0          WAITING" in output
            assert "ConnectionRefusedError" in output

            pid = int((tmp_path / "pids" / "kyc-0.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            code, output = await eventually(
                lambda: platform(env, "status"), lambda seen: "DEAD" in seen[1], what="DEAD"
            )
            assert code == 1
            assert "kyc-0          DEAD" in output
        finally:
            code, output = await platform(env, "down")
        assert code == 0, output
        assert not list((tmp_path / "pids").glob("*"))
