"""The design's invariants (section 6) for a test environment: the checks themselves live
in clients/invariants.py, shared with the benchmark."""

from __future__ import annotations

from clients.invariants import Deployment
from clients.invariants import check_invariants as check_deployment
from schemas.principals import SERVICES
from tests.support.environment import Environment


async def check_invariants(platform: Environment, drain_timeout_s: float = 60.0) -> list[str]:
    databases = {service: await platform.database(service) for service in SERVICES}
    deployment = Deployment(databases, platform.servers.reader, platform.namespace)
    return await check_deployment(deployment, drain_timeout_s)
