"""The soak's knobs, from the environment (`make soak`, `make soak-short` set them):
SOAK_RATE (redemptions/s, 25), SOAK_MINUTES (of load under faults, 10), SOAK_DEPOSIT_RATE
(deposit notifications/s, 2), SOAK_SEED (1), SOAK_HOLDERS (100), SOAK_DUPLICATES (fraction
of redeem requests and deposit notifications sent twice, 0.05), SOAK_LATE (fraction of
cross-currency redemptions sent after their quote expired, 0.02), SOAK_KILL_EVERY_S (a
service killed every "5-15" s), SOAK_BROKER_RESTARTS (one per 4 minutes, at least one),
SOAK_POSTGRES_RESTARTS (1), SOAK_HEAL_TIMEOUT_S (300), SOAK_REPLICAS (1 per service)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


@dataclass(frozen=True)
class SoakConfig:
    rate: float
    minutes: float
    deposit_rate: float
    seed: int
    holders: int
    duplicates: float
    late: float
    kill_every_s: tuple[float, float]
    broker_restarts: int
    postgres_restarts: int
    heal_timeout_s: float
    replicas: int

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @classmethod
    def from_environment(cls) -> SoakConfig:
        env = os.environ.get
        minutes = float(env("SOAK_MINUTES", "10"))
        return cls(
            rate=float(env("SOAK_RATE", "25")),
            minutes=minutes,
            deposit_rate=float(env("SOAK_DEPOSIT_RATE", "2")),
            seed=int(env("SOAK_SEED", "1")),
            holders=int(env("SOAK_HOLDERS", "100")),
            duplicates=float(env("SOAK_DUPLICATES", "0.05")),
            late=float(env("SOAK_LATE", "0.02")),
            kill_every_s=_range(env("SOAK_KILL_EVERY_S", "5-15")),
            broker_restarts=int(env("SOAK_BROKER_RESTARTS", str(max(1, round(minutes / 4))))),
            postgres_restarts=int(env("SOAK_POSTGRES_RESTARTS", "1")),
            heal_timeout_s=float(env("SOAK_HEAL_TIMEOUT_S", "300")),
            replicas=int(env("SOAK_REPLICAS", "1")),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
