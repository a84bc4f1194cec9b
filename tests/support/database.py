"""Reading a service's database in tests: one connection per query, as a tool would, so a
test holds no connection a service might wait for."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from tests.support.polling import eventually


async def query(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def query_until(
    dsn: str,
    sql: str,
    done: Callable[[list[asyncpg.Record]], bool],
    *args: object,
    timeout_s: float = 60.0,
    interval_s: float = 0.1,
    context: Callable[[], str] = str,
) -> list[asyncpg.Record]:
    """The rows of `sql` once `done` holds for them; `context()` (e.g. the services' logs)
    goes into the failure."""
    return await eventually(
        lambda: query(dsn, sql, *args),
        done,
        timeout_s=timeout_s,
        interval_s=interval_s,
        what=sql,
        context=context,
    )
