"""The simulated bank (simulators/bank) as its own process, on a free port of its own, with
its faults endpoint open: what settlement's tests pay through and the bank's own tests
call over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.gate import free_port
from tests.support.polling import eventually
from tests.support.process import ServiceProcess


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
        await self.ready(timeout_s)

    async def ready(self, timeout_s: float = 60.0) -> None:
        """Until the started process's /health says it is migrated and ready."""
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as probe:

            async def health() -> int | None:
                if not self.process.running:
                    raise AssertionError(f"the bank exited:\n{self.process.log_tail()}")
                try:
                    return (await probe.get("/health")).status_code
                except httpx.TransportError:
                    return None  # not listening yet

            await eventually(
                health,
                lambda status: status == 200,
                timeout_s=timeout_s,
                what="the bank's /health",
                context=self.process.log_tail,
            )

    def client(self, timeout_s: float = 10.0, key: str | None = None) -> httpx.AsyncClient:
        key = self.key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}  # "": no header at all
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout_s)

    async def fault(self, **fault: Any) -> None:
        """A fault of /admin/faults (faults.py) for the bank's next requests."""
        async with self.client() as client:
            response = await client.post("/admin/faults", json=fault)
            assert response.status_code == 200, response.text
