"""Whether a process is alive: it exists and has not terminated.

A killed process stays in the process table as a zombie (state Z in /proc/<pid>/stat) until
its parent reaps it, and `kill -0` / `os.kill(pid, 0)` still succeed on it: liveness is read
from its state instead. infra/alive.sh is the same test for the shell scripts.
"""

from __future__ import annotations

import os
from pathlib import Path

_TERMINATED = frozenset({"Z", "X", "x"})  # zombie, dead (being removed)


def state_of(stat_line: str) -> str:
    """The state letter of a /proc/<pid>/stat line: `pid (comm) S ...`, where comm may hold
    spaces and parentheses (so the state is the first field after the last ')')."""
    return stat_line.rpartition(")")[2].split()[0]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return not Path("/proc/self/stat").exists() and _signal_answers(pid)
    except OSError:
        return False
    return state_of(stat) not in _TERMINATED


def _signal_answers(pid: int) -> bool:
    """Without /proc (not Linux): the best the system tells."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return True
