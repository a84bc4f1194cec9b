"""The soak's independent audit: plain SQL over every service database and the broker's own
view (the ingress topics as sent, the consumer groups' committed offsets, the dead-letter
topics), judged by rules written from the design (section 6), not from the services' code.
Nothing here imports `services` or `clients.invariants`: a defect the platform shares with
its own checks cannot hide from this one.

    findings = await audit(Platform(databases, kafka_options, namespace))
    findings.violations()   # ["requests_have_sagas: redemption ... has no saga", ...]

Each check is a pure function of the facts (`facts.py` gathers them); `CHECKS` names them.
"""

from __future__ import annotations

from bench.soak.audit.checks import CHECKS, Findings, judge
from bench.soak.audit.facts import (
    SETTLE_S,
    Facts,
    Platform,
    gather,
    gather_broker,
    gather_databases,
)


async def audit(platform: Platform, settle_s: float = SETTLE_S) -> Findings:
    return judge(await gather(platform, settle_s))


__all__ = [
    "CHECKS",
    "Facts",
    "Findings",
    "Platform",
    "audit",
    "gather",
    "gather_broker",
    "gather_databases",
    "judge",
]
