"""Posting journal entries and reading balances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.runtime.db import Connection
from services.settlement.domain.ledger import CHART, Entry, account_code, balance_effect


@dataclass(frozen=True, slots=True)
class Links:
    """What an entry is about and why: ids linking it to its deposit, redemption, payout."""

    actor: str
    cause_message_id: uuid.UUID | None = None
    deposit_id: uuid.UUID | None = None
    redemption_id: uuid.UUID | None = None
    payout_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    memo: str = ""


async def post(connection: Connection, entry_id: uuid.UUID, entry: Entry, links: Links) -> None:
    """Write `entry` (the database checks its balance at commit and every balance at once)."""
    accounts = sorted({(line.account, line.currency) for line in entry.lines})
    await connection.executemany(
        """
        INSERT INTO accounts (account, name, currency, kind, normal_side, may_be_negative)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account) DO NOTHING
        """,
        [
            (
                account_code(name, currency),
                name,
                currency,
                CHART[name].kind,
                CHART[name].normal.value,
                CHART[name].may_be_negative,
            )
            for name, currency in accounts
        ],
    )
    await connection.execute(
        """
        INSERT INTO journal_entries (entry_id, template, deposit_id, redemption_id, payout_id,
                                     case_id, cause_message_id, actor, memo)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        entry_id,
        entry.template,
        links.deposit_id,
        links.redemption_id,
        links.payout_id,
        links.case_id,
        links.cause_message_id,
        links.actor,
        links.memo,
    )
    # Lines in account order, so concurrent entries lock account rows in one global order;
    # per account, increases before decreases, so no balance dips below zero mid-entry.
    ordered = sorted(entry.lines, key=lambda line: (line.code, balance_effect(line) < 0))
    await connection.executemany(
        """
        INSERT INTO journal_lines (entry_id, line_no, account, currency, side, amount_minor)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        [
            (entry_id, n, line.code, line.currency, line.side.value, line.amount_minor)
            for n, line in enumerate(ordered, 1)
        ],
    )


async def balance(connection: Connection, account: str) -> int:
    value = await connection.fetchval(
        "SELECT balance_minor FROM accounts WHERE account = $1", account
    )
    return int(value or 0)


async def balances(connection: Connection) -> dict[str, int]:
    rows = await connection.fetch("SELECT account, balance_minor FROM accounts ORDER BY account")
    return {r["account"]: int(r["balance_minor"]) for r in rows}


async def lock_account(connection: Connection, account: str) -> None:
    """Serialise writers of one account's balance (read-then-reply consistency)."""
    await connection.execute("SELECT 1 FROM accounts WHERE account = $1 FOR UPDATE", account)
