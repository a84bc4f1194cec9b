"""The unit of work: one PostgreSQL transaction holding a handler's state changes, its
outbox messages and its inbox records. It rolls back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from asyncpg.pool import PoolConnectionProxy

from services.runtime.db import Pool
from services.runtime.outbox import OutboxWriter


class UnitOfWork:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        self.connection: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._transaction = self.connection.transaction()
        await self._transaction.start()
        self.outbox = OutboxWriter(self.connection)
        return self

    async def commit(self) -> None:
        await self.outbox.flush()
        await self._transaction.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and not self.connection.is_closed():
                await self._transaction.rollback()
        finally:
            await self._pool.release(self.connection)
