"""Runs the platform's services in the background, one process per service (and replica),
with a log file each under the run folder:

    python -m infra.platform up [--replicas N] [SERVICE...]     (make up)
    python -m infra.platform down                                (make down)
    python -m infra.platform status                              (make status)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from schemas.principals import SERVICES

RUN_DIR = Path(os.environ.get("RUN_DIR", Path(__file__).resolve().parent.parent / ".run"))
STARTED = "service started"


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

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (the demo's)
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return None
        return pid


def running() -> list[Process]:
    found = []
    for pidfile in sorted((RUN_DIR / "pids").glob("*.pid")):
        service, _, instance = pidfile.stem.rpartition("-")
        process = Process(service, int(instance))
        if process.pid() is not None:
            found.append(process)
        else:
            pidfile.unlink(missing_ok=True)
    return found


def up(services: list[str], replicas: int, timeout_s: float = 90.0) -> int:
    (RUN_DIR / "logs").mkdir(parents=True, exist_ok=True)
    (RUN_DIR / "pids").mkdir(parents=True, exist_ok=True)
    wanted = [Process(s, i) for s in services for i in range(replicas)]
    starting = []
    for process in wanted:
        if process.pid() is not None:
            print(f"  {process.name:<14} already running (pid {process.pid()})")
            continue
        process.log.write_text("")
        with process.log.open("ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", f"services.{process.service}"],
                env={**os.environ, "CNH_INSTANCE": str(process.instance)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.pidfile.write_text(str(child.pid))
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
                print("\n".join(process.log.read_text(errors="replace").splitlines()[-15:]))
                return 1
        time.sleep(0.2)
    for process in pending:
        print(f"  {process.name:<14} not started after {timeout_s:.0f} s; see {process.log}")
    return 1 if pending else 0


def down(timeout_s: float = 30.0) -> int:
    processes = running()
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
        process.pidfile.unlink(missing_ok=True)
    if not processes:
        print("  no service running")
    return 0


def status() -> int:
    processes = running()
    for process in processes:
        lines = process.log.read_text(errors="replace").splitlines()
        print(f"  {process.name:<14} running (pid {process.pid()})  log {process.log}")
        if lines:
            print(f"      last: {lines[-1][:150]}")
    if not processes:
        print("  no service running (make up)")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("services", nargs="*", choices=[[], *SERVICES], default=[])
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "1")))
    args = parser.parse_args()
    if args.command == "up":
        raise SystemExit(up(args.services or list(SERVICES), args.replicas))
    raise SystemExit(down() if args.command == "down" else status())


if __name__ == "__main__":
    main()
