"""Runs the platform's services in the background, one process per service (and replica),
with a log file each under the run folder:

    python -m infra.platform up [--replicas N] [SERVICE...]     (make up)
    python -m infra.platform down                                (make down)
    python -m infra.platform status                              (make status)

Each process serves its health endpoint (services/runtime/health.py) on its own port:
HEALTH_PORT_BASE + 100 x the service's place in the registry + the instance (base 0: none).
The port is recorded beside the pid file, so `status` asks the process itself whether it is
ready, and what it waits for. A process that started and waits for a dependency (a server
down) counts as started: it catches up when the server returns.

The simulated bank (simulators/bank) is started first, as the outside system the services
reach: one process, its /health on BANK_PORT (its API's own port).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.processes import alive
from schemas.principals import BANK, SERVICES

RUN_DIR = Path(os.environ.get("RUN_DIR", Path(__file__).resolve().parent.parent / ".run"))
HEALTH_PORT_BASE = int(os.environ.get("HEALTH_PORT_BASE", "18100"))
STARTED = "service started"
WAITING = '"event": "waiting for '  # services/runtime/dependencies.py, in its JSON line
BANK_PORT = int(os.environ.get("BANK_PORT", "18190"))
PLATFORM = (BANK, *SERVICES)
"""What `up` starts: the bank before the services that reach it."""
MODULES = {BANK: "simulators.bank"}


@dataclass(frozen=True)
class Process:
    service: str
    instance: int

    @property
    def name(self) -> str:
        return f"{self.service}-{self.instance}"

    @property
    def log(self) -> Path:
        return RUN_DIR / "logs" / f"{self.name}.log"

    @property
    def pidfile(self) -> Path:
        return RUN_DIR / "pids" / f"{self.name}.pid"

    @property
    def portfile(self) -> Path:
        return RUN_DIR / "pids" / f"{self.name}.port"

    def pid(self) -> int | None:
        """The process's pid while it is alive (a zombie is not)."""
        try:
            pid = int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (the demo's)
        return pid if alive(pid) else None

    @property
    def module(self) -> str:
        return MODULES.get(self.service, f"services.{self.service}")

    def health_port(self) -> int:
        if self.service == BANK:
            return BANK_PORT
        if not HEALTH_PORT_BASE:
            return 0
        return HEALTH_PORT_BASE + 100 * list(SERVICES).index(self.service) + self.instance

    def readiness(self) -> dict[str, Any] | None:
        """The process's own /health/ready report (ready or not), None if it does not answer."""
        try:
            port = int(self.portfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        url = f"http://127.0.0.1:{port}/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read()
        except urllib.error.HTTPError as not_ready:  # 503: the body says why
            body = not_ready.read()
        except (OSError, ValueError):
            return None
        try:
            report: dict[str, Any] = json.loads(body)
        except ValueError:
            return None
        return report

    def waits_for(self) -> str:
        """What the process says it waits for at start ('' if nothing): its endpoint's
        report, or without one, its log."""
        # the bank serves its endpoint only once migrated: while it waits, its log tells
        report = self.readiness() if self.portfile.exists() else None
        if report is None:
            waiting = WAITING in self.log.read_text(errors="replace")
            return "a dependency (see its log)" if waiting else ""
        return waiting_for(report) if report.get("status") == "waiting" else ""

    def forget(self) -> None:
        self.pidfile.unlink(missing_ok=True)
        self.portfile.unlink(missing_ok=True)

    def last_lines(self, count: int) -> list[str]:
        if not self.log.exists():
            return []
        return self.log.read_text(errors="replace").splitlines()[-count:]


def recorded() -> list[Process]:
    """Every process with a pid file: alive, or dead since it was started."""
    found = []
    for pidfile in sorted((RUN_DIR / "pids").glob("*.pid")):
        service, _, instance = pidfile.stem.rpartition("-")
        found.append(Process(service, int(instance)))
    return found


def waiting_for(report: dict[str, Any]) -> str:
    """What a not-ready report waits for: 'kafka since 03:41:02 (35 s, 9 attempts: ...)'."""
    parts = []
    for name, state in report.get("dependencies", {}).items():
        if state.get("state") == "ready":
            continue
        if state.get("state") != "waiting":
            parts.append(f"{name} ({state.get('state')})")
            continue
        since = str(state.get("since", "?"))[11:19]  # the time of an ISO timestamp, UTC
        detail = f"{state.get('for_s', 0):.0f} s, {state.get('attempts', 0)} attempts"
        if state.get("error"):
            detail += f": {state['error'][:100]}"
        parts.append(f"{name} since {since} UTC ({detail})")
    return "; ".join(parts)


def up(services: list[str], replicas: int, timeout_s: float = 90.0) -> int:
    (RUN_DIR / "logs").mkdir(parents=True, exist_ok=True)
    (RUN_DIR / "pids").mkdir(parents=True, exist_ok=True)
    # one bank: replicas are the services' own
    wanted = [Process(s, i) for s in services for i in range(1 if s == BANK else replicas)]
    starting = []
    for process in wanted:
        if process.pid() is not None:
            print(f"  {process.name:<14} already running (pid {process.pid()})")
            continue
        port = process.health_port()
        process.log.write_text("")
        with process.log.open("ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", process.module],
                env={
                    **os.environ,
                    "CNH_INSTANCE": str(process.instance),
                    "CNH_HEALTH_PORT": str(port),
                },
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.pidfile.write_text(str(child.pid))
        if port:
            process.portfile.write_text(str(port))
        else:
            process.portfile.unlink(missing_ok=True)
        starting.append(process)
    deadline = time.monotonic() + timeout_s
    pending = list(starting)
    while pending and time.monotonic() < deadline:
        for process in list(pending):
            if STARTED in process.log.read_text(errors="replace"):
                print(f"  {process.name:<14} started (pid {process.pid()}, log {process.log})")
                pending.remove(process)
            elif process.pid() is None:
                print(f"  {process.name:<14} EXITED at start; last lines of {process.log}:")
                print("\n".join(process.last_lines(15)))
                return 1
            elif what := process.waits_for():
                print(
                    f"  {process.name:<14} started, WAITING for {what}; it starts working "
                    f"when that returns (pid {process.pid()}, log {process.log})"
                )
                pending.remove(process)
        time.sleep(0.2)
    for process in pending:
        print(f"  {process.name:<14} not started after {timeout_s:.0f} s; see {process.log}")
    return 1 if pending else 0


def down(timeout_s: float = 30.0) -> int:
    processes = recorded()
    for process in processes:
        pid = process.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while any(p.pid() is not None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    for process in processes:
        pid = process.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            print(f"  {process.name:<14} killed after {timeout_s:.0f} s")
        else:
            print(f"  {process.name:<14} stopped")
        process.forget()
    if not processes:
        print("  no service running")
    return 0


def status() -> int:
    """One line per process: ready, waiting (for what, since when), starting, or dead.
    Exits 1 if any is dead or not ready."""
    processes = recorded()
    healthy = True
    for process in processes:
        pid = process.pid()
        if pid is None:
            healthy = False
            print(f"  {process.name:<14} DEAD  (make up starts it again)  log {process.log}")
        elif not process.portfile.exists():  # started without a health endpoint
            started = STARTED in process.log.read_text(errors="replace")
            healthy &= started
            print(f"  {process.name:<14} {'running' if started else 'starting'} (pid {pid})")
        elif (report := process.readiness()) is None:
            healthy = False
            print(f"  {process.name:<14} running (pid {pid}), health endpoint NOT ANSWERING")
        elif report.get("status") == "ready":
            print(f"  {process.name:<14} ready (pid {pid})  log {process.log}")
        else:
            healthy = False
            what = waiting_for(report)
            print(f"  {process.name:<14} {str(report.get('status')).upper()} (pid {pid})", end="")
            print(f" for {what}" if what else "")
        lines = process.last_lines(1)
        if lines:
            print(f"      last: {lines[-1][:150]}")
    if not processes:
        print("  no service running (make up)")
    return 0 if healthy else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("services", nargs="*", choices=[[], *PLATFORM], default=[])
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "1")))
    args = parser.parse_args()
    if args.command == "up":
        raise SystemExit(up(args.services or list(PLATFORM), args.replicas))
    raise SystemExit(down() if args.command == "down" else status())


if __name__ == "__main__":
    main()
