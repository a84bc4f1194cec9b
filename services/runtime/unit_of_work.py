"""The unit of work: one PostgreSQL transaction holding a handler's state changes, its
outbox messages and its inbox records. It rolls back unless committed.

Staged writes: a service may collect rows for the whole transaction and write them just
before COMMIT (`uow.staged(Journal)`, settlement's ledger): one round trip for a batch
instead of one per message, and rows that many transactions update (a ledger's balances)
locked only for the moment of the commit, not for the whole batch."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.runtime.db import BulkInsert, Pool
from services.runtime.outbox import OutboxWriter
from services.runtime.retry import DatabaseUnavailable, is_unavailable


class StagedWriter(Protocol):
    def __init__(self, connection: Any) -> None: ...

    async def flush(self) -> None:
        """Write what was collected (called once, just before the commit)."""


W = TypeVar("W", bound=StagedWriter)


class UnitOfWork:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._committed = False
        self._staged: dict[type[Any], StagedWriter] = {}
        self._with_outbox: list[tuple[BulkInsert, Sequence[Sequence[Any]]]] = []

    async def __aenter__(self) -> UnitOfWork:
        self.connection: PoolConnectionProxy[Any] = await self._pool.acquire()
        self._transaction = self.connection.transaction()
        await self._transaction.start()
        self.outbox = OutboxWriter(self.connection)
        return self

    def staged(self, kind: type[W]) -> W:
        """This transaction's writer of `kind`, created on first use."""
        writer = self._staged.get(kind)
        if writer is None:
            writer = self._staged[kind] = kind(self.connection)
        return writer  # type: ignore[return-value]

    def insert_with_outbox(self, insert: BulkInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Rows written at commit in the outbox's own statement (the inbox records): one
        round trip for both."""
        self._with_outbox.append((insert, rows))

    async def commit(self) -> None:
        for writer in self._staged.values():
            await writer.flush()
        await self.outbox.flush(along=self._with_outbox)
        await self._transaction.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        lost = False
        if not self._committed:
            try:
                await self._transaction.rollback()
            except _CONNECTION_ERRORS:
                lost = True  # the transaction died with the connection, on the server
        with contextlib.suppress(asyncpg.InterfaceError):
            lost = lost or self.connection.is_closed()
            await self._pool.release(self.connection)
        if lost and isinstance(exc, Exception) and not is_unavailable(exc):
            # Whatever the driver said, the work failed because the connection did: retry
            # it as an outage, never count it against the messages (no dead letter).
            raise DatabaseUnavailable(f"connection lost: {exc!r}") from exc


_CONNECTION_ERRORS = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)
