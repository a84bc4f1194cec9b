"""A reconnect backoff for aiokafka, which has none.

Java's Kafka clients wait `reconnect.backoff.ms`, doubling up to `reconnect.backoff.max.ms`
(50 ms to 1 s), before connecting again to a broker that refused them. aiokafka 0.14 tries
again on every request: a fetch, a heartbeat, a coordinator lookup and the metadata refresh
each failed connection triggers, every `retry_backoff_ms`, in every client. With the broker
away, five idle services took 0.48 of a core doing it (0.28 with the broker up), CPU the
restarting broker needed: its start took 17.5 s beside them instead of 10 s alone. With this
backoff they took 0.28 of a core and the start 12.8 s (2026-12-02).

`install()` wraps `AIOKafkaClient._get_conn`: after a failed connection to a node, that
client does not try the node again until its backoff has passed (doubling, with jitter, up to
`max_s`) and answers "not ready" meanwhile, as a failed attempt would. A connection that
opens resets it. So a client notices a returning broker within `max_s`. The waits are the
runtime's own backoff (`retry.delay`: doubling, jittered over the upper half).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiokafka.client import AIOKafkaClient, ConnectionGroup

from services.runtime.retry import delay

_MARK = "_cnh_reconnect_backoff"


@dataclass
class _Refused:
    attempts: int
    until: float


@dataclass(frozen=True)
class ReconnectBackoff:
    initial_s: float = 0.05
    max_s: float = 1.0

    def delay(self, attempts: int) -> float:
        """The wait after `attempts` refusals in a row: the runtime's backoff (retry.py)."""
        return delay(self.initial_s, self.max_s, attempts - 1)


def install(backoff: ReconnectBackoff = ReconnectBackoff()) -> None:
    """Once per process; later calls change the backoff."""
    original = getattr(AIOKafkaClient._get_conn, _MARK, AIOKafkaClient._get_conn)

    async def _get_conn(
        self: AIOKafkaClient,
        node_id: Any,
        *,
        group: Any = ConnectionGroup.DEFAULT,
        no_hint: bool = False,
    ) -> Any:
        refused: dict[Any, _Refused] = self.__dict__.setdefault("_cnh_refused", {})
        connected = self._conns.get((node_id, group))
        last = refused.get(node_id)
        if connected is None and last is not None and time.monotonic() < last.until:
            return None
        conn = await original(self, node_id, group=group, no_hint=no_hint)
        if conn is not None:
            refused.pop(node_id, None)
        else:
            attempts = (last.attempts if last else 0) + 1
            refused[node_id] = _Refused(attempts, time.monotonic() + backoff.delay(attempts))
        return conn

    setattr(_get_conn, _MARK, original)
    AIOKafkaClient._get_conn = _get_conn
