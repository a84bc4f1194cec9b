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
    return f"{sha}-dirty" if git("status", "--porcelain", "--untracked-files=no") else sha


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
