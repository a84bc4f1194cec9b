"""What a transaction hands to its commit (`UnitOfWork.write_at_commit`) is written in the
statement that writes its outbox, or alone in one statement when it has no messages; a
failing part fails the whole commit."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from schemas import envelope
from services.runtime.db import BulkStatement, create_pool
from services.runtime.unit_of_work import UnitOfWork
from tests.support.counter.contracts import Added

pytestmark = pytest.mark.integration

NOTES = BulkStatement.insert_into("notes", id="int4", body="text")
RENAME = BulkStatement.over(
    "UPDATE notes AS n SET body = rows.body FROM {rows} WHERE n.id = rows.id",
    id="int4", body="text",
)  # fmt: skip


async def test_parts_are_written_with_the_outbox_or_alone(counter_db: str) -> None:
    pool = await create_pool(counter_db)
    try:
        await pool.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
        await pool.execute("INSERT INTO notes VALUES (1, 'old')")

        async with UnitOfWork(pool) as uow:  # no messages: the parts alone, one statement
            uow.write_at_commit(NOTES, [(2, "two"), (3, "three")])
            uow.write_at_commit(RENAME, [(1, "renamed")])
            await uow.commit()

        message = envelope(
            Added(account="a", amount=1, total=1), producer="t", correlation_id=uuid.uuid4()
        )
        async with UnitOfWork(pool) as uow:  # with a message
            uow.outbox.add("notes.events", "a", message)
            uow.write_at_commit(NOTES, [(4, "four")])
            uow.write_at_commit(RENAME, [(2, "deux")])
            await uow.commit()

        rows = await pool.fetch("SELECT id, body FROM notes ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "renamed"), (2, "deux"), (3, "three"), (4, "four")]
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM outbox WHERE message_id = $1", message.message_id
            )
            == 1
        )

        failing = envelope(
            Added(account="a", amount=2, total=3), producer="t", correlation_id=uuid.uuid4()
        )
        async with UnitOfWork(pool) as uow:  # one part fails: nothing of it stays
            uow.outbox.add("notes.events", "a", failing)
            uow.write_at_commit(NOTES, [(5, "five"), (1, "again")])
            with pytest.raises(asyncpg.UniqueViolationError):
                await uow.commit()
        assert await pool.fetchval("SELECT count(*) FROM notes") == 4
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM outbox WHERE message_id = $1", failing.message_id
            )
            == 0
        )
    finally:
        await pool.close()


def test_a_part_numbers_its_arrays_from_where_it_starts() -> None:
    assert RENAME.sql(8) == (
        "UPDATE notes AS n SET body = rows.body FROM "
        "unnest($8::int4[], $9::text[]) AS rows (id, body) WHERE n.id = rows.id"
    )
