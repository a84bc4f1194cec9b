"""What the outbox tells of the saga's commands: whether each reached the broker yet."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from services.runtime.db import Connection


class Publications:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def of(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dt.datetime | None]:
        """When each command was first published; None while every copy of it is still in
        the outbox. An id absent was published long ago (its rows were pruned)."""
        rows = await self._connection.fetch(
            """
            SELECT message_id, min(published_at) AS published_at FROM outbox
             WHERE message_id = ANY($1::uuid[]) GROUP BY message_id
            """,
            list(message_ids),
        )
        return {row["message_id"]: row["published_at"] for row in rows}
