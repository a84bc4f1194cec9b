"""The soak plays systemd for the services: a process that is not running is started again
1-3 s after it was found dead, whether the fault injector killed it or it exited by itself
(a service started while Kafka or PostgreSQL is down may exit at start: it is simply
started again later, as `Restart=always` would)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from tests.support.process import ServiceProcess

RESTART_DELAY_S = (1.0, 3.0)
WATCH_EVERY_S = 0.25


@dataclass(frozen=True)
class Exit:
    """A process that ended without being killed by the soak."""

    process: str
    at: float
    code: int
    last_line: str


@dataclass
class Supervisor:
    processes: list[ServiceProcess]
    rng: random.Random
    restarts: int = 0
    exits: list[Exit] = field(default_factory=list)
    _killed: set[int] = field(default_factory=set)
    _due: dict[int, float] = field(default_factory=dict)

    @staticmethod
    def name(process: ServiceProcess) -> str:
        name = process.module.removeprefix("services.").removeprefix("simulators.")
        return f"{name}-{process.env.get('CNH_INSTANCE', '0')}"

    def kill(self, process: ServiceProcess) -> None:
        """kill -9, and reaped at once (a killed but unreaped process still answers kill -0)."""
        self._killed.add(id(process))
        process.kill()

    def running(self) -> list[ServiceProcess]:
        return [p for p in self.processes if p.process is not None and p.process.poll() is None]

    async def watch(self) -> None:
        while True:
            now = time.monotonic()
            for process in self.processes:
                key = id(process)
                code = process.process.poll() if process.process is not None else 0
                if code is None:
                    continue
                if key not in self._due:
                    self._due[key] = now + self.rng.uniform(*RESTART_DELAY_S)
                    if key not in self._killed:
                        self.exits.append(
                            Exit(self.name(process), now, code, process.log_tail(1)[:300])
                        )
                elif now >= self._due[key]:
                    del self._due[key]
                    self._killed.discard(key)
                    process.start()
                    self.restarts += 1
            await asyncio.sleep(WATCH_EVERY_S)

    async def all_running(self, timeout_s: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.running()) < len(self.processes) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(WATCH_EVERY_S)  # the watch loop starts them
        return len(self.running()) == len(self.processes)
