"""The benchmark's knobs, from the environment: QUICK=1 (under two minutes), REPLICAS
("1 2": the sweep once per value; default "1 2", QUICK "1"), BENCH_RATES, BENCH_MINT_RATES
(offered loads, per second, space-separated), BENCH_SECONDS (per step), BENCH_HOLDERS."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _numbers(name: str, default: str) -> tuple[float, ...]:
    return tuple(float(v) for v in os.environ.get(name, default).split())


@dataclass(frozen=True)
class Config:
    quick: bool
    replicas: tuple[int, ...]
    rates: tuple[float, ...]
    mint_rates: tuple[float, ...]
    seconds: float
    mint_seconds: float
    holders: int
    probe_rate: float
    drain_s: float
    limit_messages: int
    limit_rows: int
    profile_processes: int = 3

    @classmethod
    def from_environment(cls) -> Config:
        quick = os.environ.get("QUICK", "") not in ("", "0")
        replicas = tuple(int(r) for r in _numbers("REPLICAS", "1" if quick else "1 2"))
        return cls(
            quick=quick,
            replicas=replicas,
            rates=_numbers(
                "BENCH_RATES", "50 100 150" if quick else "25 50 75 100 125 150 200 300"
            ),
            mint_rates=_numbers(
                "BENCH_MINT_RATES", "250 500" if quick else "250 500 1000 2000 5000"
            ),
            seconds=float(os.environ.get("BENCH_SECONDS", "8" if quick else "12")),
            mint_seconds=float(os.environ.get("BENCH_MINT_SECONDS", "4" if quick else "8")),
            holders=int(os.environ.get("BENCH_HOLDERS", "60" if quick else "200")),
            probe_rate=float(os.environ.get("BENCH_PROBE_RATE", "50")),
            drain_s=float(os.environ.get("BENCH_DRAIN_S", "20" if quick else "45")),
            limit_messages=20_000 if quick else 100_000,
            limit_rows=20_000 if quick else 100_000,
        )
