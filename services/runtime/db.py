"""The PostgreSQL connection pool and the connection types handlers receive."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
Pool: TypeAlias = "asyncpg.Pool[Any]"


async def _keep_session(connection: asyncpg.Connection[Any]) -> None:
    """Pool connections carry no session state to reset: locks are transaction-scoped
    (pg_advisory_xact_lock), nothing LISTENs (the relay has its own connection) and nothing
    SETs. asyncpg's default reset would cost a round trip on every release."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=60, reset=_keep_session
    )
    assert pool is not None
    return pool


def columns(rows: Iterable[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as the column arrays `unnest($1::t1[], $2::t2[], ...)` takes: one statement
    writes a whole batch. `width` gives the empty columns of no rows."""
    transposed = [list(column) for column in zip(*rows, strict=True)]
    return transposed or [[] for _ in range(width)]


@dataclass(frozen=True, slots=True)
class BulkStatement:
    """A statement over a batch of rows in a single round trip, the rows passed as column
    arrays: `{rows}` in its text stands for `unnest($1::t1[], ...) AS rows (name1, ...)`.
    asyncpg's COPY takes two round trips (it waits for the server's CopyIn answer before
    it sends the data), which on a busy machine costs more than the rows themselves for
    the few dozen rows a batch writes. It runs alone (`run`) or inside the statement that
    writes a transaction's outbox at commit (`UnitOfWork.write_at_commit`)."""

    text: str
    columns: tuple[tuple[str, str], ...]
    """(name, SQL type) in the order of the rows' fields."""

    @classmethod
    def over(cls, text: str, **typed_columns: str) -> BulkStatement:
        return cls(text, tuple(typed_columns.items()))

    @classmethod
    def insert_into(cls, table: str, **typed_columns: str) -> BulkStatement:
        names = ", ".join(typed_columns)
        return cls.over(f"INSERT INTO {table} ({names}) SELECT * FROM {{rows}}", **typed_columns)

    def sql(self, first_parameter: int = 1) -> str:
        """The statement, its column arrays numbered from `first_parameter` (to be part of
        a larger statement)."""
        names = ", ".join(name for name, _ in self.columns)
        arrays = ", ".join(
            f"${n}::{kind}[]" for n, (_, kind) in enumerate(self.columns, first_parameter)
        )
        return self.text.replace("{rows}", f"unnest({arrays}) AS rows ({names})")

    def arguments(self, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        return columns(rows, len(self.columns))

    async def run(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await connection.execute(self.sql(), *self.arguments(rows))
