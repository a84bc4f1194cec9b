"""Recovery after a broker restart: `python -m bench.recovery` (make bench-recovery).

The platform (bench/stack.py, production settings) under a steady open-loop load of
redemptions and deposits (bench/load.py); the broker is stopped and started again
(infra/kafka/kafka.sh) RESTARTS times, SETTLE_S apart. For each restart:

- down: when the stop was issued; ready: when a fresh client first bootstraps and reads
  the cluster's metadata (the broker accepts connections and answers);
- first outcome: the first redemption outcome or Minted event to arrive after ready;
- rate back: from ready to the start of the first WINDOW_S window in which outcomes arrive
  at 90 % of the offered rate or more;
- gap: the whole time without any outcome (last before the stop to first after ready).

Knobs (environment): RECOVERY_RESTARTS (3), RECOVERY_RATE (redemptions/s, 20),
RECOVERY_MINT_RATE (deposits/s, 5), RECOVERY_SETTLE_S (steady load before each restart,
20), RECOVERY_HOLDERS (60). Results: bench/results/recovery-latest.json.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.figures import Figures, figures
from bench.load import mint_step, onboard_holders, redemption_step
from bench.report import write_json
from bench.stack import Stack
from bench.system import git_sha, machine
from bench.tracker import Tracker
from clients.market import feed
from clients.outside import Outside
from tests.support.broker import restart_broker
from tests.support.servers import find_servers

GIVE_UP_S = 90.0
"""After ready, how long a restart may take to recover before the tool moves on."""


def say(text: str) -> None:
    print(f"[recovery {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _arrivals(tracker: Tracker) -> list[float]:
    return [at for at, _ in tracker.outcomes.values()] + list(tracker.minted.values())


async def _until_recovered(
    tracker: Tracker, marks: tuple[float, float, float], rate: float
) -> None:
    deadline = marks[2] + GIVE_UP_S
    while time.monotonic() < deadline:
        if figures(_arrivals(tracker), marks, rate).rate_back_after_ready_s is not None:
            return
        await asyncio.sleep(0.5)


async def run(restarts: int, rate: float, mint_rate: float, settle_s: float,
              holders_count: int) -> dict[str, Any]:  # fmt: skip
    logs = Path(os.environ.get("RUN_DIR", ".run")) / "recovery-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    say(f"service logs in {logs}")
    offered = rate + mint_rate
    results: list[Figures] = []
    with find_servers() as servers:
        stack = await Stack.create(servers, logs)
        operator = stack.kafka.of("operator")
        try:
            await stack.start(1)
            async with (
                Outside(stack.kafka, stack.namespace) as outside,
                Tracker(operator, stack.namespace) as tracker,
            ):
                market = asyncio.create_task(feed(outside))
                holders = await onboard_holders(operator, stack.namespace, outside, holders_count)
                await mint_step(outside, tracker, holders, 30, holders_count / 30, 60)  # funds
                horizon = settle_s + restarts * (settle_s + GIVE_UP_S + 60)
                load = [
                    asyncio.create_task(
                        redemption_step(outside, tracker, holders, rate, horizon, 0)
                    ),
                    asyncio.create_task(
                        mint_step(outside, tracker, holders, mint_rate, horizon, 0)
                    ),
                ]
                try:
                    for n in range(restarts):
                        await asyncio.sleep(settle_s)
                        say(f"restart {n + 1}/{restarts}: stopping the broker")
                        marks = await restart_broker(operator)
                        say(f"  ready {marks[2] - marks[0]:.1f} s after the stop")
                        await _until_recovered(tracker, marks, offered)
                        found = figures(_arrivals(tracker), marks, offered)
                        say(f"  {found}")
                        results.append(found)
                finally:
                    for task in (*load, market):
                        task.cancel()
                    await asyncio.gather(*load, market, return_exceptions=True)
        finally:
            stack.close_processes()
            await stack.close()
    return _report(results, rate, mint_rate, settle_s)


def _report(
    results: list[Figures], rate: float, mint_rate: float, settle_s: float
) -> dict[str, Any]:
    firsts = [r.first_outcome_after_ready_s for r in results]
    backs = [r.rate_back_after_ready_s for r in results]
    return {
        "git_sha": git_sha(),
        "machine": machine(),
        "offered": {"redemptions_per_s": rate, "deposits_per_s": mint_rate},
        "settle_s": settle_s,
        "restarts": [asdict(r) for r in results],
        "worst_first_outcome_after_ready_s": _worst(firsts),
        "worst_rate_back_after_ready_s": _worst(backs),
        "target_first_outcome_after_ready_s": 5.0,
    }


def _worst(values: list[float | None]) -> float | None:
    """The largest figure; None (never recovered within the tool's patience) is worst."""
    if not values or any(v is None for v in values):
        return None
    return max(v for v in values if v is not None)


def main() -> None:
    environ = os.environ
    # the tool's own clients log every refused connection while the broker is down
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    report = asyncio.run(
        run(
            restarts=int(environ.get("RECOVERY_RESTARTS", "3")),
            rate=float(environ.get("RECOVERY_RATE", "20")),
            mint_rate=float(environ.get("RECOVERY_MINT_RATE", "5")),
            settle_s=float(environ.get("RECOVERY_SETTLE_S", "20")),
            holders_count=int(environ.get("RECOVERY_HOLDERS", "60")),
        )
    )
    path = write_json(report, environ.get("RECOVERY_RESULT", "recovery-latest.json"))
    say(
        f"worst first outcome after ready {report['worst_first_outcome_after_ready_s']} s; "
        f"worst rate back {report['worst_rate_back_after_ready_s']} s; wrote {path}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
