"""Posting journal entries and reading balances."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from services.runtime.db import BulkStatement, Connection
from services.runtime.unit_of_work import AtCommit
from services.settlement.domain.ledger import CHART, Entry, Line, balance_effect


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


class Journal:
    """A transaction's journal entries, written together just before it commits (a staged
    writer of the unit of work, services/runtime/unit_of_work.py).

    Why staged: every posting moves balances of the same few accounts (the reserve, the
    clearing accounts), and the database moves them on insert (journal_lines_post: once
    per account per statement, locked in account order), which locks those rows until the
    commit. Written at the end, they are locked for the moment
    of the commit instead of the whole batch, so settlement's subscriptions (payouts, bank
    notices, deposits) no longer queue behind each other's batches. The database checks
    the same rules as before: balanced entries, no balance below zero, at the commit.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._entries: list[tuple[uuid.UUID, Entry, Links]] = []
        self._pending: dict[str, int] = defaultdict(int)
        self._stored: dict[str, int] = {}

    def post(self, entry_id: uuid.UUID, entry: Entry, links: Links) -> None:
        self._entries.append((entry_id, entry, links))
        for line in entry.lines:
            self._pending[line.code] += balance_effect(line)

    async def balance(self, account: str) -> int:
        """The account's balance with this transaction's entries applied. The stored balance
        is read once per transaction: it is not locked before the commit, so no read of it
        is what the commit finds, and one per call cost a batch of deposits a round trip
        each for the reserve. (Other transactions' postings in between are not seen: the
        reserve a mint command reports may be the one before a concurrent release, which
        only follows the burn it backs.)"""
        if account not in self._stored:
            self._stored[account] = await balance(self._connection, account)
        return self._stored[account] + self._pending.get(account, 0)

    async def flush(self, commit: AtCommit) -> None:
        if not self._entries:
            return
        entries, self._entries = self._entries, []
        self._pending.clear()
        self._stored.clear()
        await _open_accounts(self._connection, [line for _, e, _ in entries for line in e.lines])
        commit.write_at_commit(
            _ENTRIES,
            [
                (
                    entry_id, entry.template, links.deposit_id, links.redemption_id,
                    links.payout_id, links.case_id, links.cause_message_id, links.actor,
                    links.memo,
                )
                for entry_id, entry, links in entries
            ],
        )  # fmt: skip
        # Every line of the transaction in one statement: the database moves each account
        # by the net of its lines (no balance dips below zero on the way), and locks the
        # accounts in account order (no deadlock between concurrent commits).
        commit.write_at_commit(
            _LINES,
            [
                (entry_id, n, line.code, line.currency, line.side.value, line.amount_minor)
                for entry_id, entry, _ in entries
                for n, line in enumerate(entry.lines, 1)
            ],
        )


_ENTRIES = BulkStatement.insert_into(
    "journal_entries", entry_id="uuid", template="text", deposit_id="uuid",
    redemption_id="uuid", payout_id="uuid", case_id="uuid", cause_message_id="uuid",
    actor="text", memo="text",
)  # fmt: skip
_LINES = BulkStatement.insert_into(
    "journal_lines", entry_id="uuid", line_no="int4", account="text", currency="text",
    side="bpchar", amount_minor="int8",
)  # fmt: skip


async def _open_accounts(connection: Connection, lines: list[Line]) -> None:
    """Create the accounts the lines need that do not exist yet. A plain read first: an
    INSERT .. ON CONFLICT on an existing account would wait for every transaction moving
    its balance."""
    wanted = {line.code: (line.account, line.currency) for line in lines}
    known = await connection.fetch(
        "SELECT account FROM accounts WHERE account = ANY($1::text[])", list(wanted)
    )
    missing = sorted(set(wanted) - {row["account"] for row in known})
    if not missing:
        return
    await connection.executemany(
        """
        INSERT INTO accounts (account, name, currency, kind, normal_side, may_be_negative)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account) DO NOTHING
        """,
        [
            (
                code,
                wanted[code][0],
                wanted[code][1],
                CHART[wanted[code][0]].kind,
                CHART[wanted[code][0]].normal.value,
                CHART[wanted[code][0]].may_be_negative,
            )
            for code in missing
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
