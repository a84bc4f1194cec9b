"""End-to-end benchmark of the platform: `python -m bench` (make bench; QUICK=1 for the
short variant). Everything in one run, on the local Kafka and PostgreSQL:

1. the machine's limits (raw produce/consume, batched and single commits: bench/limits.py);
2. the platform in its own namespace and databases (bench/stack.py), REPLICAS processes
   per service, holders onboarded through kyc.applications;
3. mint steps (deposit notifications at offered rates), a redemption warm-up, a probe with
   few redemptions stored, then redemption steps of rising offered load (per REPLICAS
   value), until more offered load no longer buys throughput; a profiled step (py-spy);
   the probe again with every redemption of the run stored; EXPLAIN of the hot paths;
4. the design's invariants checked at the end; results in bench/results/latest.{json,png}.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import limits as machine_limits
from bench.config import Config
from bench.cost import bound
from bench.dbstats import delta, snapshot
from bench.explain import explain_hot_paths
from bench.load import StepResult, mint_step, onboard_holders, redemption_step
from bench.profile import record, summarise
from bench.report import RESULTS, plot, write_json
from bench.stack import Stack
from bench.system import cpu_by_role, git_sha, machine
from bench.tracker import Tracker
from clients.invariants import check_invariants
from clients.market import feed
from clients.outside import Outside
from tests.support.servers import find_servers


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _line(step: StepResult) -> str:
    return (
        f"{(step.label or step.kind):<12} offered {step.offered_per_s:>6.0f}/s  achieved "
        f"{step.throughput_per_s:>7.1f}/s  p50 {step.p50_ms} ms  p95 {step.p95_ms} ms  "
        f"p99 {step.p99_ms} ms  done {step.done}/{step.sent} (failed {step.failed}, "
        f"unfinished {step.unfinished}, late quotes {step.late_quotes})"
    )


def beyond_capacity(step: StepResult) -> bool:
    """The platform completed clearly less than was offered (a step that keeps up, however
    slowly, still says the capacity is at least that)."""
    return step.unfinished > 0 or step.throughput_per_s < 0.85 * step.offered_per_s


def limit_found(step: StepResult, earlier: list[StepResult]) -> bool:
    """Beyond capacity, and more offered load no longer buys throughput: batches grow with
    the queues, so a step past the knee can still complete more than the one before it."""
    before = max((s.throughput_per_s for s in earlier), default=0.0)
    return beyond_capacity(step) and step.throughput_per_s < 1.05 * before


def saturated(step: StepResult) -> bool:
    """Beyond capacity, or queueing for seconds: not a step to quote latency from."""
    return beyond_capacity(step) or (step.p99_ms or 0) > 5_000


async def run(config: Config) -> dict[str, Any]:
    started = time.monotonic()
    logs = Path(os.environ.get("RUN_DIR", ".run")) / "bench-logs"  # the last run's, for a look
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    say(f"service logs in {logs}")
    with find_servers() as servers:
        say("measuring the machine's limits (raw Kafka produce/consume, PostgreSQL commits)")
        limits = await machine_limits.measure(servers, config.limit_messages, config.limit_rows)
        say(f"  {limits}")
        stack = await Stack.create(servers, logs)
        try:
            report = await _platform(config, stack, limits)
        finally:
            stack.close_processes()
            await stack.close()
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    return report


async def _platform(config: Config, stack: Stack, limits: machine_limits.Limits) -> dict[str, Any]:
    say(f"starting the services ({config.replicas[0]} per service), namespace {stack.namespace}")
    await stack.start(config.replicas[0])
    deployment = await stack.deployment()
    steps: dict[str, list[StepResult]] = {"mint": [], "redemption": []}
    extra: dict[str, Any] = {}
    async with (
        Outside(stack.kafka, stack.namespace) as outside,
        Tracker(stack.kafka.of("operator"), stack.namespace) as tracker,
    ):
        market = asyncio.create_task(feed(outside))  # rates every 5 s, as in production
        try:
            say(f"onboarding {config.holders} holders through kyc.applications")
            holders = await onboard_holders(
                stack.kafka.of("operator"), stack.namespace, outside, config.holders
            )
            say("mint warm-up")
            await mint_step(outside, tracker, holders, config.mint_rates[0] / 2, 2, config.drain_s)
            for rate in config.mint_rates:
                step = await mint_step(
                    outside, tracker, holders, rate, config.mint_seconds, config.drain_s
                )
                step.replicas = stack.replicas
                say(_line(step))
                if limit_found(step, steps["mint"]) or step.unfinished:
                    steps["mint"].append(step)
                    break
                steps["mint"].append(step)
            say("redemption warm-up")
            await redemption_step(outside, tracker, holders, config.rates[0], 3, config.drain_s)
            probe_first = await _probe(config, deployment, outside, tracker, holders)
            say(_line(probe_first))
            for replicas in config.replicas:
                if replicas != stack.replicas:
                    say(f"restarting with {replicas} processes per service")
                    await stack.start(replicas)
                    await redemption_step(
                        outside, tracker, holders, config.rates[0], 3, config.drain_s
                    )
                cpu_before, machine_before = stack.cpu(), cpu_by_role()
                for rate in config.rates:
                    before = await snapshot(deployment.databases)
                    step = await redemption_step(
                        outside, tracker, holders, rate, config.seconds, config.drain_s
                    )
                    step.replicas = replicas
                    after = await snapshot(deployment.databases)
                    step_counts = delta(before, after, step.done)
                    extra.setdefault("db_per_step", []).append(
                        {"replicas": replicas, "offered_per_s": rate, **step_counts}
                    )
                    sweep = [s for s in steps["redemption"] if s.replicas == replicas]
                    steps["redemption"].append(step)
                    say(_line(step))
                    if config.quick:
                        continue  # every step, for the curve
                    if limit_found(step, sweep) or step.unfinished:
                        break
                extra.setdefault("cpu_seconds_during_sweep", {})[str(replicas)] = {
                    name: round(seconds - cpu_before.get(name, 0.0), 1)
                    for name, seconds in stack.cpu().items()
                }
                extra.setdefault("machine_cpu_seconds_during_sweep", {})[str(replicas)] = {
                    role: round(seconds - machine_before.get(role, 0.0), 1)
                    for role, seconds in sorted(cpu_by_role().items())
                }
                if replicas == config.replicas[0]:
                    extra["profile"] = await _profiled_step(
                        config, stack, outside, tracker, holders, steps["redemption"]
                    )
            if stack.replicas != config.replicas[0]:  # the probes compare history, not replicas
                say(f"restarting with {config.replicas[0]} per service for the last probe")
                await stack.start(config.replicas[0])
                await redemption_step(outside, tracker, holders, config.rates[0], 3, config.drain_s)
            probe_last = await _probe(config, deployment, outside, tracker, holders)
            say(_line(probe_last))
            extra["stored_probe"] = [asdict(probe_first), asdict(probe_last)]
        finally:
            market.cancel()
    say("EXPLAIN of the hot-path queries")
    extra["explain"] = await explain_hot_paths(deployment.databases)
    say("checking the invariants (outbox and lag drained, supply, reserve, ledgers, sagas)")
    problems = await check_invariants(deployment, drain_timeout_s=config.drain_s * 2)
    say("invariants: " + ("all hold" if not problems else f"VIOLATED: {problems[:10]}"))
    return _summary(config, limits, steps, extra, problems)


async def _probe(config: Config, deployment: Any, outside: Outside, tracker: Tracker,
                 holders: list[Any]) -> StepResult:  # fmt: skip
    stored = (await deployment.query("redemption", "SELECT count(*) AS n FROM redemptions"))[0]["n"]
    step = await redemption_step(
        outside, tracker, holders, config.probe_rate, config.seconds, config.drain_s,
        label="stored-probe",
    )  # fmt: skip
    step.stored_before = int(stored)
    return step


async def _profiled_step(
    config: Config, stack: Stack, outside: Outside, tracker: Tracker, holders: list[Any],
    done: list[StepResult],
) -> dict[str, Any]:  # fmt: skip
    sustained = [s.throughput_per_s for s in done if not saturated(s)] or [config.rates[0]]
    rate = max(sustained)
    hottest = sorted(stack.cpu().items(), key=lambda kv: -kv[1])[: config.profile_processes]
    say(f"profiled step at {rate:.0f}/s: py-spy on {[name for name, _ in hottest]}")
    for stale in RESULTS.glob("profile-*.folded"):  # another run's processes
        stale.unlink()
    outputs = {name: RESULTS / f"profile-{name}.folded" for name, _ in hottest}
    pids = stack.pids()
    recordings = [
        asyncio.create_task(record(pids[name], config.seconds, out))
        for name, out in outputs.items()
    ]
    step = await redemption_step(
        outside, tracker, holders, rate, config.seconds, config.drain_s, label="profiled"
    )
    await asyncio.gather(*recordings)
    say(_line(step))
    return {
        "offered_per_s": rate,
        "step": asdict(step),
        "processes": {
            name: summarise(out) if out.exists() else {"samples": 0}
            for name, out in outputs.items()
        },
    }


def _summary(
    config: Config,
    limits: machine_limits.Limits,
    steps: dict[str, list[StepResult]],
    extra: dict[str, Any],
    problems: list[str],
) -> dict[str, Any]:
    redemptions = steps["redemption"]
    probes = [StepResult(**p) for p in extra.get("stored_probe", [])]
    best = max(redemptions + probes, key=lambda s: s.throughput_per_s)  # probes are steps too
    by_replicas = {
        str(r): max(s.throughput_per_s for s in redemptions if s.replicas == r)
        for r in sorted({s.replicas for s in redemptions})
    }
    first = [s for s in redemptions if s.replicas == config.replicas[0]]
    sustained = [s for s in first if not saturated(s)] or first[:1]
    knee = max(sustained, key=lambda s: s.offered_per_s)
    # the latency target is quoted at half the rate: the step closest to half the best
    half = min(first, key=lambda s: abs(s.throughput_per_s - best.throughput_per_s / 2))
    counts = next(
        (d for d in extra.get("db_per_step", []) if d["offered_per_s"] == knee.offered_per_s),
        None,
    )
    rows = (counts or {}).get("per_redemption", {}).get("rows") or 0.0
    cost = bound(limits, rows)
    mints = steps["mint"]
    return {
        "mode": "quick" if config.quick else "full",
        "redemptions_per_s": best.throughput_per_s,
        "redemptions_per_s_by_replicas": by_replicas,
        "redemption_p50_ms": knee.p50_ms,
        "redemption_p95_ms": knee.p95_ms,
        "redemption_p99_ms": knee.p99_ms,
        "redemption_latency_at_offered_per_s": knee.offered_per_s,
        "redemption_at_half_best": {
            "offered_per_s": half.offered_per_s,
            "achieved_per_s": half.throughput_per_s,
            "p50_ms": half.p50_ms,
            "p99_ms": half.p99_ms,
        },
        "mints_per_s": max((s.throughput_per_s for s in mints), default=0.0),
        "mint_p50_ms": max(mints, key=lambda s: s.throughput_per_s).p50_ms if mints else None,
        "mint_p99_ms": max(mints, key=lambda s: s.throughput_per_s).p99_ms if mints else None,
        "bound_redemptions_per_s": cost["bound_redemptions_per_s"],
        "ratio": round(best.throughput_per_s / cost["bound_redemptions_per_s"], 3),
        "target": {"redemptions_per_s": 1000, "p99_ms_at_half": 1000, "mints_per_s": 5000},
        "invariants_hold": not problems,
        "invariant_violations": problems,
        "machine": machine(),
        "git_sha": git_sha(),
        "config": asdict(config),
        "limits": limits.as_dict(),
        "bound": cost,
        "steps": {kind: [asdict(s) for s in found] for kind, found in steps.items()},
        **extra,
    }


def main() -> None:
    config = Config.from_environment()
    report = asyncio.run(run(config))
    json_path = write_json(report)
    png_path = plot(report)
    half = report["redemption_at_half_best"]
    say(
        f"redemptions {report['redemptions_per_s']}/s (p50 {report['redemption_p50_ms']} ms, "
        f"p99 {report['redemption_p99_ms']} ms at {report['redemption_latency_at_offered_per_s']}/s"
        f" offered; p99 {half['p99_ms']} ms at {half['achieved_per_s']}/s, about half the best)"
        f"; mints {report['mints_per_s']}/s; bound {report['bound_redemptions_per_s']}"
        f"/s; ratio {report['ratio']}; invariants "
        f"{'hold' if report['invariants_hold'] else 'VIOLATED'}; {report['elapsed_s']} s"
    )
    say(f"wrote {json_path} and {png_path}")
    sys.exit(0 if report["invariants_hold"] else 1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
