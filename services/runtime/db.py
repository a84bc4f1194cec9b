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
class BulkInsert:
    """A batch of rows into one table in a single round trip:
    `INSERT ... SELECT * FROM unnest($1::t1[], ...)`. asyncpg's COPY takes two (it waits
    for the server's CopyIn answer before it sends the data), which on a busy machine costs
    more than the rows themselves for the few dozen rows a batch writes."""

    table: str
    columns: tuple[tuple[str, str], ...]
    """(name, SQL type) in the order of the rows' fields."""

    @classmethod
    def into(cls, table: str, **typed_columns: str) -> BulkInsert:
        return cls(table, tuple(typed_columns.items()))

    def sql(self, first_parameter: int = 1) -> str:
        """The statement, its column arrays numbered from `first_parameter` (to be part of
        a larger statement)."""
        names = ", ".join(name for name, _ in self.columns)
        arrays = ", ".join(
            f"${n}::{kind}[]" for n, (_, kind) in enumerate(self.columns, first_parameter)
        )
        return f"INSERT INTO {self.table} ({names}) SELECT * FROM unnest({arrays})"

    def arguments(self, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        return columns(rows, len(self.columns))

    async def run(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await connection.execute(self.sql(), *self.arguments(rows))
