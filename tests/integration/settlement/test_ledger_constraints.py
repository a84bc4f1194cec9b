"""The database itself refuses a broken ledger, whatever code writes to it."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.support.environment import Environment

pytestmark = pytest.mark.integration

ACCOUNTS = """
INSERT INTO accounts (account, name, currency, kind, normal_side, may_be_negative) VALUES
  ('reserve_bank:CNH', 'reserve_bank', 'CNH', 'asset', 'D', false),
  ('suspense:CNH', 'suspense', 'CNH', 'liability', 'C', false),
  ('nostro:HKD', 'nostro', 'HKD', 'asset', 'D', false),
  ('suspense:HKD', 'suspense', 'HKD', 'liability', 'C', false)
"""


async def _entry(connection: asyncpg.Connection, *lines: tuple[str, str, str, int]) -> uuid.UUID:
    entry_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO journal_entries (entry_id, template, actor) VALUES ($1, 'test', 'test')",
        entry_id,
    )
    for n, (account, currency, side, amount) in enumerate(lines, 1):
        await connection.execute(
            "INSERT INTO journal_lines VALUES ($1, $2, $3, $4, $5, $6)",
            entry_id,
            n,
            account,
            currency,
            side,
            amount,
        )
    return entry_id


async def test_the_database_refuses_unbalanced_overdrawn_or_rewritten_entries(
    platform: Environment,
) -> None:
    connection = await asyncpg.connect(await platform.database("settlement"))
    try:
        await connection.execute(ACCOUNTS)
        # balanced per currency: commits
        async with connection.transaction():
            good = await _entry(
                connection,
                ("reserve_bank:CNH", "CNH", "D", 500),
                ("suspense:CNH", "CNH", "C", 500),
            )

        # unbalanced: each line is accepted, the commit is refused (deferred check)
        transaction = connection.transaction()
        await transaction.start()
        await _entry(
            connection, ("reserve_bank:CNH", "CNH", "D", 100), ("suspense:CNH", "CNH", "C", 99)
        )
        with pytest.raises(asyncpg.CheckViolationError, match="does not balance in CNH"):
            await transaction.commit()

        # balanced in total but not per currency: refused too
        with pytest.raises(asyncpg.CheckViolationError, match="does not balance"):
            async with connection.transaction():
                await _entry(
                    connection,
                    ("reserve_bank:CNH", "CNH", "D", 100),
                    ("suspense:HKD", "HKD", "C", 100),
                )

        # an account that may not go negative: refused at the line
        with pytest.raises(asyncpg.CheckViolationError, match="balance_not_negative"):
            async with connection.transaction():
                await _entry(
                    connection,
                    ("suspense:HKD", "HKD", "D", 1),
                    ("nostro:HKD", "HKD", "C", 1),
                )

        # history is append-only
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await connection.execute("DELETE FROM journal_lines WHERE entry_id = $1", good)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await connection.execute(
                "UPDATE journal_lines SET amount_minor = 1 WHERE entry_id = $1", good
            )

        rows = await connection.fetch("SELECT account, balance_minor FROM accounts")
        balances = {r["account"]: r["balance_minor"] for r in rows}
        assert balances == {
            "reserve_bank:CNH": 500,
            "suspense:CNH": 500,
            "nostro:HKD": 0,
            "suspense:HKD": 0,
        }
        assert await connection.fetchval("SELECT count(*) FROM journal_entries") == 1
    finally:
        await connection.close()
