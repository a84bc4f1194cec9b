"""What the results were measured on: the machine and the code."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def git_sha() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    sha = git("rev-parse", "HEAD") or "unknown"
    # the results of earlier runs are this run's output, not a change to what is measured
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
    return f"{sha}-dirty" if changed else sha


def machine() -> dict[str, Any]:
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    pom = (ROOT / "infra/kafka/pom.xml").read_text()
    kafka = pom.split("<kafka.version>")[1] if "<kafka.version>" in pom else "unknown"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_mib": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "kafka": kafka.split("<")[0],
        "load_average_at_end": os.getloadavg(),
    }


def cpu_by_role() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, grouped by what it is: each
    service, PostgreSQL (all its backends), Kafka, this load generator, everything else, and
    the machine's idle time. Two snapshots' difference says where a step's CPU went."""
    ticks = os.sysconf("SC_CLK_TCK")
    roles: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        role = _role(command, int(entry.name))
        roles[role] = roles.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    totals = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    roles["(idle)"] = (int(totals[3]) + int(totals[4])) / ticks
    return roles


def _role(command: str, pid: int) -> str:
    if pid == os.getpid() or " -m bench" in command:
        return "load generator (bench)"
    if command.startswith("postgres"):
        return "postgresql"
    if "kafka.Kafka" in command:
        return "kafka"
    for word in command.split():
        if word.startswith("services.") and word.count(".") == 1:
            return word.removeprefix("services.")
    return "other"
