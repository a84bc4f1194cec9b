"""The connection pool and the unit of work.

A unit of work is one PostgreSQL transaction holding a handler's state changes, its outbox
messages and its inbox records; it rolls back unless committed.
"""

from __future__ import annotations

from types import TracebackType

import asyncpg

from services.runtime.outbox import OutboxWriter

Connection = asyncpg.Connection
Pool = asyncpg.Pool


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=60)
    assert pool is not None
    return pool


class UnitOfWork:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        self.connection: Connection = await self._pool.acquire()
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
