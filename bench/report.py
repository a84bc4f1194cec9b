"""Writes the results: bench/results/latest.json and latest.png (throughput and latency
against offered load)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"


def write_json(report: dict[str, Any], name: str = "latest.json") -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def plot(report: dict[str, Any], name: str = "latest.png") -> Path:
    RESULTS.mkdir(exist_ok=True)
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    series = [
        ("redemption", "redemptions", report["steps"]["redemption"]),
        ("mint", "mints", report["steps"]["mint"]),
    ]
    for column, (_, noun, steps) in enumerate(series):
        throughput, latency = axes[0][column], axes[1][column]
        for replicas in sorted({s["replicas"] for s in steps}):
            mine = [s for s in steps if s["replicas"] == replicas and not s["label"]]
            if not mine:
                continue
            offered = [s["offered_per_s"] for s in mine]
            marker = "o" if replicas == 1 else "s"
            tag = f"{replicas} replica{'s' if replicas > 1 else ''}/service"
            throughput.plot(offered, [s["throughput_per_s"] for s in mine], marker=marker,
                            label=f"achieved, {tag}")  # fmt: skip
            for pct, style in (("p50_ms", "-"), ("p95_ms", "--"), ("p99_ms", ":")):
                latency.plot(offered, [s[pct] or float("nan") for s in mine], style,
                             marker=marker, label=f"{pct[:3]}, {tag}")  # fmt: skip
        top = max([s["offered_per_s"] for s in steps] or [1])
        throughput.plot([0, top], [0, top], color="grey", lw=0.8, label="offered = achieved")
        if column == 0 and report.get("bound_redemptions_per_s"):
            bound = report["bound_redemptions_per_s"]
            throughput.axhline(bound, color="red", lw=0.8, ls="--",
                               label=f"machine bound {bound:,.0f}/s")  # fmt: skip
            throughput.set_ylim(0, max(top, max(s["throughput_per_s"] for s in steps)) * 1.3)
        throughput.set_title(f"{noun}: completed per second vs offered")
        throughput.set_xlabel(f"offered {noun} per second")
        throughput.set_ylabel(f"completed {noun} per second")
        throughput.legend(fontsize=8)
        throughput.grid(alpha=0.3)
        latency.set_title(f"{noun}: latency (request sent -> outcome event)")
        latency.set_xlabel(f"offered {noun} per second")
        latency.set_ylabel("milliseconds (log scale)")
        latency.set_yscale("log")
        latency.legend(fontsize=8, ncol=2)
        latency.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"CNH platform benchmark ({report['mode']}, git {report['git_sha'][:10]}, "
        f"{report['machine']['cpus']} CPUs): redemptions {report['redemptions_per_s']}/s, "
        f"ratio to bound {report['ratio']}",
        fontsize=11,
    )
    fig.tight_layout()
    path = RESULTS / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
