"""The fiat side of the design's invariants (section 6), as checks an operator, the demo or
a test can run against settlement's database: every journal entry balances per currency,
the trial balance is zero, no restricted account is below zero, and the reserve backing
tokens covers the token supply at par."""

from __future__ import annotations

import asyncpg

from schemas.money import Money, par_tokens
from services.settlement.repository.attestation import coverage


async def reserve_balance(dsn: str) -> Money:
    """The CNH reserve that backs tokens (the bank balance less money held for others)."""
    connection = await asyncpg.connect(dsn)
    try:
        _, reserve = await coverage(connection)
        return reserve
    finally:
        await connection.close()


async def reserve_and_ledger_violations(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        problems = [
            f"settlement: journal entry {r['entry_id']} does not balance in {r['currency']}"
            for r in await connection.fetch(
                """
                SELECT entry_id, currency FROM journal_lines GROUP BY entry_id, currency
                HAVING sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0
                """
            )
        ]
        problems += [
            f"settlement: trial balance in {r['currency']} is {r['net']}, not zero"
            for r in await connection.fetch(
                """
                SELECT currency,
                       sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) AS net
                  FROM journal_lines GROUP BY currency
                HAVING sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0
                """
            )
        ]
        problems += [
            f"settlement: {r['account']} is below zero"
            for r in await connection.fetch(
                "SELECT account FROM accounts WHERE NOT may_be_negative AND balance_minor < 0"
            )
        ]
        supply, reserve = await coverage(connection)
        if supply.amount_minor > par_tokens(reserve).amount_minor:
            problems.append(f"settlement: supply {supply} above the reserve {reserve}")
        return problems
    finally:
        await connection.close()
