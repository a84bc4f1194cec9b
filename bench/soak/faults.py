"""The fault injector: kill -9 of a random service process (the simulated bank's among
them) every few seconds (the supervisor starts it again), and restarts of the broker and
of PostgreSQL at planned points of the load, through the run folder's own scripts
(infra/kafka/kafka.sh, infra/postgres/pg.sh stop/start). Each fault is recorded with when
it began and when what it broke was back."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.soak.config import SoakConfig
from bench.soak.supervisor import Supervisor
from bench.system import ROOT

SERVERS = {"broker": "infra/kafka/kafka.sh", "postgres": "infra/postgres/pg.sh"}
DOWNTIME_S = (2.0, 6.0)
"""How long a server stays stopped before it is started again."""


@dataclass
class Fault:
    kind: str
    """kill, broker_restart or postgres_restart."""
    target: str
    at_s: float
    """Since the load began."""
    duration_s: float | None = None
    """Until what it broke was back: the process running again, the server ready."""
    note: str = ""

    @property
    def end_s(self) -> float | None:
        return None if self.duration_s is None else self.at_s + self.duration_s

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def server_plan(config: SoakConfig) -> list[tuple[float, str]]:
    """(seconds into the load, server) for every restart, spread evenly, broker first and
    alternating, so that each restart has time to heal before the next."""
    kinds: list[str] = []
    brokers, postgres = config.broker_restarts, config.postgres_restarts
    while brokers or postgres:
        if brokers:
            kinds.append("broker")
            brokers -= 1
        if postgres:
            kinds.append("postgres")
            postgres -= 1
    return [(config.seconds * (i + 1) / (len(kinds) + 1), k) for i, k in enumerate(kinds)]


@dataclass
class Injector:
    config: SoakConfig
    supervisor: Supervisor
    rng: random.Random
    started: float = field(default_factory=time.monotonic)
    faults: list[Fault] = field(default_factory=list)
    log: Any = print
    _watching: set[asyncio.Task[None]] = field(default_factory=set)

    def now(self) -> float:
        return time.monotonic() - self.started

    async def run(self) -> None:
        """Until the load ends: kills all along, the servers' restarts on their plan."""
        await asyncio.gather(self._kills(), self._servers())

    async def _kills(self) -> None:
        while True:
            await asyncio.sleep(self.rng.uniform(*self.config.kill_every_s))
            if self.now() >= self.config.seconds:
                return
            running = self.supervisor.running()
            if not running:
                continue
            process = self.rng.choice(running)
            fault = Fault("kill", self.supervisor.name(process), self.now())
            self.faults.append(fault)
            self.supervisor.kill(process)
            self.log(f"fault: kill -9 {fault.target}")
            self._watching.add(asyncio.create_task(self._back(fault, process)))

    async def _back(self, fault: Fault, process: Any) -> None:
        while process.process is None or process.process.poll() is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # a process offers no event for "started"
        fault.duration_s = self.now() - fault.at_s

    async def _servers(self) -> None:
        for at, server in server_plan(self.config):
            await asyncio.sleep(max(0.0, at - self.now()))
            fault = Fault(f"{server}_restart", server, self.now())
            self.faults.append(fault)
            self.log(f"fault: {server} stopping")
            stopped = await _script(SERVERS[server], "stop")
            await asyncio.sleep(self.rng.uniform(*DOWNTIME_S))
            started = await _script(SERVERS[server], "start")
            fault.duration_s = self.now() - fault.at_s
            fault.note = f"{stopped} / {started}"
            self.log(f"fault: {server} ready again after {fault.duration_s:.1f} s ({started})")

    def last_end_s(self) -> float:
        return max((f.end_s or f.at_s for f in self.faults), default=0.0)


async def _script(path: str, verb: str) -> str:
    """Run a server script; its last line (what it says it did)."""
    done = await asyncio.create_subprocess_exec(
        str(ROOT / path),
        verb,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await done.communicate()
    lines = out.decode(errors="replace").strip().splitlines() or [""]
    return lines[-1] if done.returncode == 0 else f"exit {done.returncode}: {lines[-1]}"
