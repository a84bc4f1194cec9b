"""The simulated bank (simulators/bank) as its own process, on a free port of its own, with
its faults endpoint open: what settlement's tests pay through and the bank's own tests
call over HTTP."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.process import ServiceProcess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class BankProcess:
    process: ServiceProcess
    url: str
    key: str

    @classmethod
    def of(cls, secrets_root: Path, env: dict[str, str], log: Path) -> BankProcess:
        """The bank with `env` (its database, Kafka, settings) on a free port."""
        port = free_port()
        env = {
            "CNH_SECRETS_ROOT": str(secrets_root),
            "BANK_PORT": str(port),
            "CNH_BANK_FAULTS": "1",
            **env,
        }
        key = (secrets_root / "bank" / "api.key").read_text().strip()
        return cls(ServiceProcess("simulators.bank", env, log), f"http://127.0.0.1:{port}", key)

    async def start(self, timeout_s: float = 60.0) -> None:
        """Start the process and wait until /health says it is migrated and ready."""
        self.process.start()
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as probe:
            while time.monotonic() < deadline:
                try:
                    if (await probe.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if not self.process.running:
                    raise AssertionError(f"the bank exited:\n{self.process.log_tail()}")
                await asyncio.sleep(0.1)
        raise AssertionError(f"the bank is not ready:\n{self.process.log_tail()}")

    def client(self, timeout_s: float = 10.0, key: str | None = None) -> httpx.AsyncClient:
        key = self.key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}  # "": no header at all
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout_s)

    async def fault(self, **fault: Any) -> None:
        """A fault of /admin/faults (faults.py) for the bank's next requests."""
        async with self.client() as client:
            response = await client.post("/admin/faults", json=fault)
            assert response.status_code == 200, response.text
