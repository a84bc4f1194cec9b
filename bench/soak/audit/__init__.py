"""The soak's independent audit: plain SQL over every service database and the broker's own
view (the ingress topics as sent, the consumer groups' committed offsets, the dead-letter
topics), judged by rules written from the design (section 6), not from the services' code.
Nothing here imports `services` or `clients.invariants`: a defect the platform shares with
its own checks cannot hide from this one.

    findings = judge(await gather(Platform(databases, kafka_options, namespace)))
    findings.violations()   # ["requests_have_sagas: redemption ... has no saga", ...]

Each check is a pure function of the facts (`facts.py` gathers them); `CHECKS` names them.
"""

from __future__ import annotations

from bench.soak.audit.checks import CHECKS, Findings, judge
from bench.soak.audit.facts import (
    Facts,
    Platform,
    gather,
    gather_broker,
    gather_databases,
)

__all__ = [
    "CHECKS",
    "Facts",
    "Findings",
    "Platform",
    "gather",
    "gather_broker",
    "gather_databases",
    "judge",
]
