"""Runs a service as its own OS process, as production does, so tests can kill it."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
"""Looked up in the parent: the forked child only makes the system call before exec."""


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test run or bench that started it dies, however it
    dies (a killed bench left its services consuming CPU for every later run)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, **extra_env: str) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env={**os.environ, **self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()
        return self

    async def wait_started(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if "service started" in self.log_path.read_text(errors="replace"):
                return
            if self.process and self.process.poll() is not None:
                raise AssertionError(f"{self.module} exited at start:\n{self.log_tail()}")
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.module} not started after {timeout_s} s:\n{self.log_tail()}")

    async def wait_exit(self, timeout_s: float = 60.0) -> int:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while (code := self.process.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.module} still running after {timeout_s} s")
            await asyncio.sleep(0.05)
        return code

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def logs(processes: Iterable[ServiceProcess]) -> str:
    """The end of each process's log, for a failure's message."""
    return "\n\n".join(f"--- {p.log_path.name}\n{p.log_tail()}" for p in processes)


async def run_module(
    module: str, *args: str, env: dict[str, str], timeout_s: float = 60.0
) -> tuple[int, str, str]:
    """`python -m module args...` to its end, as an operator runs a tool: (exit code, stdout,
    stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
