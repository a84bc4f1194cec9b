"""The soak's report: what was injected, what came out (by state and reason, ordinary
requests apart from late ones), how long the platform took to heal, saga durations under
faults, the saga's re-sends and timeouts, and every violation. Printed for a person and
written as bench/results/soak-latest.json."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.soak.audit import Facts, Findings
from bench.soak.audit.facts import Saga
from bench.soak.config import SoakConfig
from bench.soak.faults import Injector
from bench.soak.supervisor import Supervisor
from bench.soak.tracker import SoakTracker
from bench.soak.traffic import Traffic
from bench.system import ROOT, git_sha, machine

RESULTS = ROOT / "bench" / "results"
QUOTE_EXPIRED = "quote_expired"


@dataclass(frozen=True)
class Run:
    """Everything a soak run observed, for the report."""

    config: SoakConfig
    traffic: Traffic
    tracker: SoakTracker
    injector: Injector
    supervisor: Supervisor
    facts: Facts
    findings: Findings
    healed_at: float | None
    """Monotonic; None when the platform did not heal in time."""
    saga_counts: dict[str, int]
    elapsed_s: float


async def saga_counts(dsn: str) -> dict[str, int]:
    """From the saga's database: its re-sent commands and step timeouts (the step log's
    'resend' and 'timeout' entries), and the quote requests refused, by reason."""
    connection = await asyncpg.connect(dsn)
    try:
        steps = await connection.fetch(
            "SELECT event, count(*) AS n FROM saga_log"
            " WHERE event IN ('resend', 'timeout') GROUP BY 1"
        )
        quotes = await connection.fetch(
            "SELECT convert_from(outcome, 'UTF8')::jsonb -> 'payload' ->> 'reason' AS reason,"
            " count(*) AS n FROM quotes WHERE status = 'rejected' GROUP BY 1"
        )
    finally:
        await connection.close()
    return (
        {"resend": 0, "timeout": 0}
        | {r["event"]: r["n"] for r in steps}
        | {f"quote refused: {r['reason']}": r["n"] for r in quotes}
    )


def build(run: Run) -> dict[str, Any]:
    sent, sagas, outcomes = run.traffic.sent, run.facts.sagas, run.tracker.outcomes
    by_kind: dict[str, Counter[str]] = {}
    for rid, s in sent.items():
        saga = sagas.get(rid)
        label = "no saga" if saga is None else _label(saga.status, saga.reason)
        by_kind.setdefault(s.kind, Counter())[label] += 1
    ordinary = [rid for rid, s in sent.items() if s.kind == "ordinary"]
    expired = [rid for rid in ordinary if _reason(sagas, rid).startswith(QUOTE_EXPIRED)]
    # the platform's own fault: a request the broker accepted before its quote expired and
    # that still failed for the quote's age (must never happen); the others were sent in
    # time but reached the broker after the expiry (it was down or restarting then)
    inside = [
        rid
        for rid, saga in sagas.items()
        if rid in sent
        and (saga.reason or "").startswith(QUOTE_EXPIRED)
        and _accepted_before_expiry(saga, run.tracker.expiries.get(rid))
    ]
    tight = [rid for rid, s in sent.items() if s.kind == "tight"]
    tight_expired = [rid for rid in tight if _reason(sagas, rid).startswith(QUOTE_EXPIRED)]
    late_completed = [
        rid for rid, s in sent.items() if s.kind == "late" and _status(sagas, rid) == "COMPLETED"
    ]
    # the customer's wait, from the send (a request sent while the broker is down waits for
    # it), and the saga's own duration, from the broker's acceptance of the request
    waits = sorted(outcomes[rid][0] - s.at for rid, s in sent.items() if rid in outcomes)
    durations = sorted(
        (saga.ended_at - saga.accepted_at).total_seconds()
        for rid, saga in sagas.items()
        if rid in sent and saga.ended_at is not None and saga.accepted_at is not None
    )
    unfinished = [
        rid
        for rid in sent
        if rid not in outcomes or _status(sagas, rid) not in ("COMPLETED", "FAILED", "NEEDS_REVIEW")
    ]
    never_reached = sorted(set(sent) - set(run.facts.redeem_requests))
    violations = run.findings.violations()
    violations += [
        f"late request {rid} completed after its quote expired" for rid in late_completed
    ]
    violations += [f"request {rid} sent and never reached the broker" for rid in never_reached]
    violations += [f"request {rid} has no outcome" for rid in unfinished]
    violations += [
        f"redemption {rid} was accepted before its quote expired and failed for its expiry"
        for rid in inside
    ]
    return {
        "git_sha": git_sha(),
        "machine": machine(),
        "config": run.config.as_dict(),
        "elapsed_s": round(run.elapsed_s, 1),
        "failing_checks": sorted(run.findings.failing()),
        "faults": [f.as_dict() for f in run.injector.faults],
        "faults_by_kind": dict(Counter(f.kind for f in run.injector.faults)),
        "service_restarts": run.supervisor.restarts,
        "service_exits": [
            asdict(e) | {"at": round(e.at - run.injector.started, 1)} for e in run.supervisor.exits
        ],
        "sent": {
            "redemptions": len(sent),
            "by_kind": dict(Counter(s.kind for s in sent.values())),
            "deposits": len(run.traffic.deposits),
            **dict(run.traffic.counts),
        },
        "outcomes": {
            "by_state": dict(Counter(s.status for r, s in sagas.items() if r in sent)),
            "by_state_and_reason": dict(
                Counter(_label(s.status, s.reason) for r, s in sagas.items() if r in sent)
            ),
            "by_kind": {kind: dict(counts) for kind, counts in sorted(by_kind.items())},
            "deposits_minted": sum(1 for d in run.traffic.deposits if d in run.tracker.minted),
        },
        "quote_expired_ordinary": len(expired),
        "quote_expired_ordinary_fraction": round(len(expired) / len(ordinary), 4)
        if ordinary
        else 0,
        "quote_expired_tight": len(tight_expired),
        "quote_expired_inside_platform": len(inside),
        "quote_expired_ordinary_arrived_late": len(expired) - len(set(expired) & set(inside)),
        "late_refused": by_kind.get("late", Counter()).total() - len(late_completed),
        "late_completed": len(late_completed),
        "heal_s": _heal(run),
        **_percentiles("saga", durations),
        **_percentiles("request", waits),
        "step_resends": run.saga_counts["resend"],
        "step_timeouts": run.saga_counts["timeout"],
        "quotes_refused": {
            k.removeprefix("quote refused: "): n
            for k, n in run.saga_counts.items()
            if k.startswith("quote refused")
        },
        "dead_letters": [asdict(d) for d in run.facts.dead_letters],
        "unfinished": len(unfinished),
        "violations": violations,
    }


def _heal(run: Run) -> dict[str, Any]:
    """Per server restart: from the server ready again until the next outcome arrived;
    overall: from the end of the last fault until the platform was healed."""
    base = run.injector.started
    arrivals = sorted(at for at, _ in run.tracker.outcomes.values())
    restarts = []
    for fault in run.injector.faults:
        if fault.kind == "kill" or fault.end_s is None:
            continue
        ready = base + fault.end_s
        flowing = next((at for at in arrivals if at > ready), None)
        restarts.append(
            {
                "server": fault.target,
                "at_s": round(fault.at_s, 1),
                "down_s": round(fault.duration_s or 0, 1),
                "outcomes_again_after_s": None if flowing is None else round(flowing - ready, 2),
            }
        )
    last = base + run.injector.last_end_s()
    overall = None if run.healed_at is None else round(max(0.0, run.healed_at - last), 1)
    return {"restarts": restarts, "after_last_fault_s": overall}


def _percentiles(name: str, latencies: list[float]) -> dict[str, float | None]:
    if len(latencies) < 2:
        return {f"{name}_{p}_s": None for p in ("p50", "p95", "p99", "max")}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        f"{name}_p50_s": round(cuts[49], 2),
        f"{name}_p95_s": round(cuts[94], 2),
        f"{name}_p99_s": round(cuts[98], 2),
        f"{name}_max_s": round(latencies[-1], 2),
    }


def _accepted_before_expiry(saga: Saga, expires_at: dt.datetime | None) -> bool:
    return saga.accepted_at is not None and expires_at is not None and saga.accepted_at < expires_at


def _label(status: str, reason: str | None) -> str:
    return f"{status}: {reason}" if reason else status


def _status(sagas: dict[uuid.UUID, Any], rid: uuid.UUID) -> str:
    saga = sagas.get(rid)
    return saga.status if saga else ""


def _reason(sagas: dict[uuid.UUID, Any], rid: uuid.UUID) -> str:
    saga = sagas.get(rid)
    return (saga.reason or "") if saga else ""


def _grouped(violations: list[str]) -> dict[str, list[str]]:
    """By check: every violation reads "<check>: ..." (the audit's and the soak's own)."""
    groups: dict[str, list[str]] = {}
    for v in violations:
        check, _, rest = v.partition(": ")
        groups.setdefault(check, []).append(rest)
    return groups


def write(report: dict[str, Any], name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def show(report: dict[str, Any]) -> str:
    """The report for a person."""
    heal = report["heal_s"]
    lines = [
        f"SOAK {time.strftime('%Y-%m-%d %H:%M:%S')}  code {report['git_sha'][:12]}"
        f"  {report['config']['rate']}/s for {report['config']['minutes']} min",
        f"faults: {report['faults_by_kind']}; services started again "
        f"{report['service_restarts']} times, exited by themselves {len(report['service_exits'])}",
        f"sent: {report['sent']}",
        f"outcomes by state: {report['outcomes']['by_state']}",
    ]
    for kind, counts in report["outcomes"]["by_kind"].items():
        lines.append(f"  {kind:<9} {counts}")
    lines += [
        f"deposits minted: {report['outcomes']['deposits_minted']} of {report['sent']['deposits']}",
        f"ordinary redemptions failed for quote expiry: {report['quote_expired_ordinary']}"
        f" ({report['quote_expired_ordinary_fraction']:.2%}); tight (sent before expiry, with"
        f" under 10 s left): {report['quote_expired_tight']};"
        f" late requests refused {report['late_refused']}, completed {report['late_completed']}",
        f"  of the ordinary ones: accepted by the broker in time and still expired (the"
        f" platform's fault) {report['quote_expired_inside_platform']}; reached the broker"
        f" after the expiry (it was down when they were sent)"
        f" {report['quote_expired_ordinary_arrived_late']}",
        f"saga duration under faults (request accepted by the broker -> saga ended):"
        f" p50 {report['saga_p50_s']} s, p95 {report['saga_p95_s']} s,"
        f" p99 {report['saga_p99_s']} s, max {report['saga_max_s']} s",
        f"the customer's wait (Redeem sent -> outcome; one sent while the broker is down"
        f" waits for it): p50 {report['request_p50_s']} s, p95 {report['request_p95_s']} s,"
        f" p99 {report['request_p99_s']} s, max {report['request_max_s']} s",
        f"step re-sends {report['step_resends']}, step timeouts {report['step_timeouts']};"
        f" quote requests refused {report['quotes_refused']}",
    ]
    for r in heal["restarts"]:
        lines.append(
            f"heal: {r['server']} restart at {r['at_s']} s (down {r['down_s']} s): outcomes again"
            f" {r['outcomes_again_after_s']} s after it was ready"
        )
    healed = heal["after_last_fault_s"]
    lines.append(
        "heal: NOT healed within the timeout"
        if healed is None
        else f"heal: healed {healed} s after the last fault ended"
    )
    lines.append(f"dead letters: {len(report['dead_letters'])}; unfinished: {report['unfinished']}")
    lines.append(f"violations: {len(report['violations'])}")
    for kind, found in _grouped(report["violations"]).items():
        lines.append(f"  {kind}: {len(found)}")
        lines += [f"    - {v}" for v in found[:3]]
        if len(found) > 3:
            lines.append(f"    ... and {len(found) - 3} more (in the JSON)")
    return "\n".join(lines)
