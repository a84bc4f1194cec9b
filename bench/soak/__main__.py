"""The soak: `python -m bench.soak` (make soak; make soak-short). On the run folder's Kafka
and PostgreSQL, the platform in its own namespace and databases (bench/stack.py, production
timings), holders onboarded and funded, then SOAK_MINUTES of open-loop redemptions and
deposits with duplicates while services are killed and the servers restarted
(bench/soak/faults.py); then the platform gets time to heal, the independent audit reads
everything (bench/soak/audit), and the report is printed and written
(bench/soak/report.py; SOAK_RESULT names the file, default soak-latest.json). Exits 1 on
any violation or unfinished request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
import sys
import time
from pathlib import Path

from bench.load import mint_step, onboard_holders
from bench.soak import report
from bench.soak.audit import Platform, judge
from bench.soak.audit.facts import gather
from bench.soak.config import SoakConfig
from bench.soak.faults import Injector
from bench.soak.heal import wait_healed
from bench.soak.supervisor import Supervisor
from bench.soak.tracker import SoakTracker
from bench.soak.traffic import Traffic
from bench.stack import Stack
from clients.market import feed
from clients.outside import Outside
from schemas.principals import SERVICES
from tests.support.servers import find_servers

FUNDING_DEPOSITS_PER_HOLDER = 3
PROGRESS_EVERY_S = 10.0


def say(text: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", flush=True)


async def run(config: SoakConfig) -> dict[str, object]:
    started = time.monotonic()
    logs = Path(os.environ.get("RUN_DIR", ".run")) / "soak-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    say(f"service logs in {logs}; {config.as_dict()}")
    with find_servers() as servers:
        stack = await Stack.create(servers, logs)
        try:
            return await _soak(config, stack, started)
        finally:
            stack.close_processes()
            await stack.close()


async def _market(outside: Outside) -> None:
    """The market feed, started again whenever a send fails (the broker is away)."""
    while True:
        with contextlib.suppress(Exception):
            await feed(outside)
        await asyncio.sleep(1.0)


async def _soak(config: SoakConfig, stack: Stack, started: float) -> dict[str, object]:
    rng = random.Random(config.seed)
    say(f"starting the services ({config.replicas} per service), namespace {stack.namespace}")
    await stack.start(config.replicas)
    databases = {service: await stack.env.database(service) for service in SERVICES}
    platform = Platform(
        databases,
        stack.kafka.of("operator").client_options(),
        stack.namespace,
        bank=await stack.env.database("bank"),
    )
    operator = stack.kafka.of("operator")
    async with (
        Outside(stack.kafka, stack.namespace, confirm=True) as outside,
        SoakTracker(operator, stack.namespace) as tracker,
    ):
        market = asyncio.create_task(_market(outside))
        try:
            say(f"onboarding {config.holders} holders, {FUNDING_DEPOSITS_PER_HOLDER} deposits each")
            holders = await onboard_holders(operator, stack.namespace, outside, config.holders)
            funded = await mint_step(
                outside, tracker, holders, config.holders, FUNDING_DEPOSITS_PER_HOLDER, 60
            )
            say(f"funded: {funded.done} of {funded.sent} deposits minted")
            supervisor = Supervisor(stack.env.processes, rng)
            traffic = Traffic(config, outside, tracker, holders, rng)
            injector = Injector(config, supervisor, rng, log=say)
            watch = asyncio.create_task(supervisor.watch())
            say(f"load and faults for {config.minutes} min")
            progress = asyncio.create_task(_progress(traffic, tracker, injector))
            faults = asyncio.create_task(injector.run())
            sending = asyncio.create_task(traffic.run())
            try:
                await faults
                say("faults over; every service running again?")
                await supervisor.all_running()
                say("waiting for the requests held up by the faults, and for the platform to heal")
                last, healed_at = await wait_healed(
                    platform,
                    traffic.sent.keys(),
                    config.heal_timeout_s,
                    sending=lambda: not sending.done(),
                )
                await sending
                progress.cancel()
                say(f"{'healed' if healed_at else 'NOT HEALED'}: {last}")
                await asyncio.sleep(2)  # the outcomes' last records reach the tracker
                say("auditing every database and the broker")
                facts = await gather(platform)
                counts = await report.saga_counts(databases["redemption"])
            finally:
                for task in (watch, progress, faults, sending):
                    task.cancel()
        finally:
            market.cancel()
    return report.build(
        report.Run(
            config,
            traffic,
            tracker,
            injector,
            supervisor,
            facts,
            judge(facts),
            healed_at,
            counts,
            time.monotonic() - started,
        )
    )


async def _progress(traffic: Traffic, tracker: SoakTracker, injector: Injector) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        outcomes = [tracker.outcomes[r][1] for r in traffic.sent if r in tracker.outcomes]
        kinds: dict[str, int] = {}
        for fault in injector.faults:
            kinds[fault.kind] = kinds.get(fault.kind, 0) + 1
        say(
            f"t+{traffic.since_start():.0f}s sent {len(traffic.sent)} redemptions, outcomes "
            f"{len(outcomes)} (completed {outcomes.count('completed')}, failed "
            f"{outcomes.count('failed')}, review {outcomes.count('needs_review')}), in flight "
            f"{len(traffic.sent) - len(outcomes)}; deposits {len(traffic.deposits)}; faults {kinds}"
        )


def main() -> None:
    # the clients' own lines about a broker that is away say what the soak did on purpose
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    config = SoakConfig.from_environment()
    result = asyncio.run(run(config))
    path = report.write(result, os.environ.get("SOAK_RESULT", "soak-latest.json"))
    print(report.show(result), flush=True)
    say(f"wrote {path}")
    sys.exit(1 if result["violations"] else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
