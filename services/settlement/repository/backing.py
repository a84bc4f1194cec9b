"""The facts the backing checks (domain/backing.py) judge, read from the ledgers: read-only,
each source in one snapshot (a repeatable-read, read-only transaction), so that a commit in
between two queries can never look like a gap.

Settlement's own database gives its deposits, payouts, reserve journal and its record of
issuance's mints and burns (the Minted and Burned events); issuance's database, where the
attestation reads it (`make attest`), adds issuance's own mints, holds and burns and supply:
a mint issuance made but never reported is then seen too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import asyncpg

from services.runtime.db import Connection
from services.settlement.domain.backing import (
    Deposit,
    Facts,
    Figures,
    Mint,
    Payout,
    ReserveLine,
)
from services.settlement.repository.attestation import RESERVE, coverage
from services.settlement.repository.ledger import balance


@dataclass(frozen=True, slots=True)
class TokenLedger:
    """Issuance's side: its mints, the tokens held or burned per redemption, its supply."""

    mints: Sequence[Mint]
    tokens_out: Mapping[uuid.UUID, int]
    supply_minor: int


async def settlement_facts(connection: Connection) -> Facts:
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        supply, backing = await coverage(connection)
        mints = [
            Mint(r["movement_id"], r["deposit_id"], r["amount_minor"])
            for r in await connection.fetch(
                "SELECT movement_id, deposit_id, amount_minor FROM supply_movements"
                " WHERE kind = 'minted'"
            )
        ]
        payouts = [
            Payout(
                r["payout_id"], r["kind"], r["redemption_id"], r["deposit_id"], r["par_minor"],
                r["state"], r["submitted_at"], r["released"],
            )
            for r in await connection.fetch(_PAYOUTS)
        ]  # fmt: skip
        tokens_out = {
            r["redemption_id"]: int(r["tokens"])
            for r in await connection.fetch(
                "SELECT redemption_id, sum(amount_minor) AS tokens FROM supply_movements"
                " WHERE kind = 'burned' AND redemption_id IS NOT NULL GROUP BY redemption_id"
            )
        }
        named = {m.deposit_id for m in mints} | {p.deposit_id for p in payouts}
        return Facts(
            figures=Figures(supply.amount_minor, backing.amount_minor),
            mints=mints,
            deposits=await deposits(connection, [d for d in named if d is not None]),
            payouts=payouts,
            tokens_out=tokens_out,
            reserve_lines=[_line(r) for r in await connection.fetch(_RESERVE_LINES, RESERVE)],
            reserve_balance_minor=await balance(connection, RESERVE),
        )


_PAYOUTS = """
    SELECT p.payout_id, p.kind, p.redemption_id, p.deposit_id, p.par_minor, p.state,
           p.submitted_at,
           EXISTS (SELECT 1 FROM reserve_releases r WHERE r.redemption_id = p.redemption_id)
               AS released
      FROM payouts p
     WHERE p.state IN ('sent', 'settled', 'returned')
"""

_RESERVE_LINES = """
    SELECT l.entry_id, e.template, l.side, l.amount_minor,
           d.amount_minor AS deposit_minor,
           CASE WHEN p.kind = 'refund' THEN p.amount_minor END AS refund_minor,
           r.amount_minor AS release_minor
      FROM journal_lines l
      JOIN journal_entries e USING (entry_id)
      LEFT JOIN deposits d ON d.deposit_id = e.deposit_id
      LEFT JOIN payouts p ON p.payout_id = e.payout_id
      LEFT JOIN reserve_releases r ON r.entry_id = e.entry_id
     WHERE l.account = $1
"""


def _line(row: asyncpg.Record) -> ReserveLine:
    return ReserveLine(
        row["entry_id"], row["template"], row["side"], row["amount_minor"],
        row["deposit_minor"], row["refund_minor"], row["release_minor"],
    )  # fmt: skip


async def deposits(
    connection: Connection, deposit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Deposit]:
    rows = await connection.fetch(
        "SELECT deposit_id, amount_minor, state FROM deposits WHERE deposit_id = ANY($1::uuid[])",
        deposit_ids,
    )
    return {r["deposit_id"]: Deposit(r["deposit_id"], r["amount_minor"], r["state"]) for r in rows}


async def issuance_ledger(connection: Connection) -> TokenLedger:
    """Issuance's own records (its database, read-only)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        mints = [
            Mint(r["mint_id"], r["deposit_id"], r["amount"])
            for r in await connection.fetch("SELECT mint_id, deposit_id, amount FROM mints")
        ]
        tokens_out = {
            r["redemption_id"]: int(r["amount"])
            for r in await connection.fetch(
                "SELECT redemption_id, amount FROM holds WHERE state IN ('placed', 'burned')"
            )
        }
        supply = await connection.fetchval(
            """
            SELECT coalesce((SELECT -balance FROM accounts WHERE account = 'issuer:minted'), 0)
                 - coalesce((SELECT balance FROM accounts WHERE account = 'issuer:burned'), 0)
            """
        )
    return TokenLedger(mints, tokens_out, int(supply))


async def with_issuance(settlement: Connection, facts: Facts, tokens: TokenLedger) -> Facts:
    """Settlement's facts widened by issuance's own: every mint either side knows (issuance's
    record first), the tokens taken out for a redemption by either, and the larger supply
    (coverage must hold whichever view lags)."""
    mints = {m.mint_id: m for m in facts.mints} | {m.mint_id: m for m in tokens.mints}
    missing = [
        m.deposit_id
        for m in tokens.mints
        if m.deposit_id is not None and m.deposit_id not in facts.deposits
    ]
    tokens_out = dict(facts.tokens_out)
    for redemption_id, amount in tokens.tokens_out.items():
        tokens_out[redemption_id] = max(amount, tokens_out.get(redemption_id, 0))
    figures = replace(
        facts.figures, supply_minor=max(facts.figures.supply_minor, tokens.supply_minor)
    )
    return replace(
        facts,
        figures=figures,
        mints=list(mints.values()),
        deposits={**facts.deposits, **await deposits(settlement, missing)},
        tokens_out=tokens_out,
    )
