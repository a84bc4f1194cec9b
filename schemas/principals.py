"""Who may connect: every principal of the platform, on Kafka and on PostgreSQL.

A message is only as trusted as its writer, so each writer has its own identity: one per
service, one per outside producer role, an operator for the tools and an admin that only
manages topics, principals and ACLs. What each principal may write or read is not said
here but in the topic registry (schemas/topics.py), from which the ACLs are generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["service", "producer", "operator", "admin"]

SERVICES = ("kyc", "issuance", "fx", "settlement", "redemption")
PRODUCERS = ("onboarding", "bank", "market-data", "gateway")
"""Outside producer roles: they write an ingress topic (and read what answers them)."""
BANK = "bank"
"""The simulated bank (simulators/bank) is also an outside system with its own database."""
OPERATOR = "operator"
ADMIN = "admin"
READ_ONLY_ROLE = "operator"
"""The PostgreSQL login of the tools and reports: it reads every service database and
writes none."""


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    kind: Kind
    kafka: bool = True
    postgres_role: str | None = None
    """Its PostgreSQL login, if it has one (a service owns its database; the operator's
    login reads only; the admin's is the cluster's superuser)."""


PRINCIPALS: tuple[Principal, ...] = (
    *(Principal(s, "service", postgres_role=s) for s in SERVICES),
    *(Principal(p, "producer", postgres_role=BANK if p == BANK else None) for p in PRODUCERS),
    Principal(OPERATOR, "operator", postgres_role=READ_ONLY_ROLE),
    Principal(ADMIN, "admin", postgres_role="postgres"),
)

BY_NAME: dict[str, Principal] = {p.name: p for p in PRINCIPALS}
