"""A killed process that its parent has not reaped yet is a zombie: it answers `kill -0`
but is dead."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from infra.processes import alive, state_of


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("1234 (python3) S 1 1234 1234 0 -1 4194560", "S"),
        ("77 (kafka) Z 1 77 77 0 -1", "Z"),
        ("9 (a b) c) (d) R 1 9 9 0", "R"),  # the command name may hold spaces and ')'
        ("10 () D 1", "D"),
    ],
)
def test_the_state_is_the_field_after_the_command_name(line: str, state: str) -> None:
    assert state_of(line) == state


def test_this_process_is_alive_and_an_unused_pid_is_not() -> None:
    assert alive(os.getpid())
    assert not alive(2**22 + 1)  # above Linux's pid_max


ALIVE_SH = Path(__file__).resolve().parents[3] / "infra" / "alive.sh"


def alive_in_shell(pid: int) -> bool:
    """infra/alive.sh's `alive`, as kafka.sh and pg.sh call it."""
    command = f'. "{ALIVE_SH}"; alive {pid}'
    return subprocess.run(["bash", "-c", command], check=False).returncode == 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_a_killed_unreaped_child_is_dead_though_kill_0_still_answers() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert alive(child.pid)
        assert alive_in_shell(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while state_of(Path(f"/proc/{child.pid}/stat").read_text()) != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        os.kill(child.pid, 0)  # what the tools used to trust: no error for a zombie
        assert not alive(child.pid)
        assert not alive_in_shell(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not alive_in_shell(child.pid)  # reaped: gone
