"""Where the time goes: py-spy samples the hottest service processes during a load step
(`py-spy record --nonblocking`: the process is never paused) and the raw stacks are folded
into the functions that take the most time, by themselves and including what they call."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

CATEGORIES = {
    "asyncpg (queries, COPY, commits)": re.compile(r"asyncpg"),
    "pydantic (validation, JSON)": re.compile(r"pydantic"),
    "aiokafka (client)": re.compile(r"aiokafka"),
    "faststream": re.compile(r"faststream"),
    "logging (structlog)": re.compile(r"structlog|logging/"),
    # under uvloop the loop and its socket I/O run in C: py-spy shows them as Runner.run
    "event loop and socket I/O": re.compile(
        r"asyncio/(base_events|selector_events|events|runners)"
    ),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


async def record(pid: int, seconds: float, out: Path) -> Path | None:
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, when not on PATH
    spy = shutil.which("py-spy") or (str(beside) if beside.exists() else None)
    if spy is None:
        return None
    process = await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50",
        "--nonblocking", "--format", "raw", "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await process.wait()
    return out if await asyncio.to_thread(out.exists) else None


def summarise(folded: Path, top: int = 12) -> dict[str, Any]:
    """Self and inclusive shares of the sampled stacks ("frame;frame;leaf count" lines)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        for name, pattern in CATEGORIES.items():
            if pattern.search(stack):
                categories[name] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "self_percent": share(own),
        "inclusive_percent": share(inclusive),
        "category_percent": {k: round(100 * v / total, 1) for k, v in categories.most_common()},
    }


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if path else name
