"""The unit of work: one PostgreSQL transaction holding a handler's state changes, its
outbox messages and its inbox records. It rolls back unless committed.

Staged writes: a service may collect rows for the whole transaction and write them at the
commit (`uow.staged(Journal)`, settlement's ledger): one round trip for a batch instead of
one per message, and rows that many transactions update (a ledger's balances) locked only
for the moment of the commit, not for the whole batch. What needs no answer goes into the
commit's one statement with the outbox and inbox rows (`write_at_commit`)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.runtime.db import BulkStatement, Pool
from services.runtime.outbox import OutboxWriter
from services.runtime.retry import DatabaseUnavailable, is_unavailable


class AtCommit(Protocol):
    def write_at_commit(self, statement: BulkStatement, rows: Sequence[Sequence[Any]]) -> None:
        """Run `statement` over `rows` in the commit's statement."""


class StagedWriter(Protocol):
    def __init__(self, connection: Any) -> None: ...

    async def flush(self, commit: AtCommit) -> None:
        """Write what was collected (called once, just before the commit): now, or handed
        to `commit` to go with the outbox rows in one statement."""


W = TypeVar("W", bound=StagedWriter)


class UnitOfWork:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._committed = False
        self._staged: dict[type[Any], StagedWriter] = {}
        self._at_commit: list[tuple[BulkStatement, Sequence[Sequence[Any]]]] = []

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

    def write_at_commit(self, statement: BulkStatement, rows: Sequence[Sequence[Any]]) -> None:
        """Run `statement` over `rows` in the statement that writes the outbox at commit
        (the inbox records, staged rows): one round trip for all of them. The parts of one
        statement do not see each other's changes: only what nothing before the commit
        reads back belongs here."""
        self._at_commit.append((statement, rows))

    async def commit(self) -> None:
        for writer in self._staged.values():
            await writer.flush(self)
        await self.outbox.flush(along=self._at_commit)
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
