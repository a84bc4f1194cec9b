"""The facts the audit judges, gathered once: from each service database by plain SQL (the
tables as the migrations define them) and from the broker (`broker.py`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from bench.soak.audit import broker

REDEEM = "redemption.redeem"
DEPOSIT_RECEIVED = "settlement.deposit_received"


@dataclass(frozen=True)
class Platform:
    """Where one platform lives."""

    databases: Mapping[str, str]
    """service -> DSN (a read-only login is enough)."""
    kafka: Mapping[str, Any]
    """aiokafka client options of a login that reads every topic and describes the groups."""
    namespace: str = ""
    """Topic and group prefix ("" in production)."""
    bank: str = ""
    """The simulated bank's DSN (its payment orders), if it is to be audited."""

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name


@dataclass(frozen=True)
class Saga:
    status: str
    currency: str
    amount_minor: int
    reason: str | None
    accepted_at: dt.datetime | None = None
    """When the broker appended its request (the saga's start); ended_at when it ended."""
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class Payout:
    redemption_id: uuid.UUID
    payout_id: uuid.UUID
    state: str


@dataclass(frozen=True)
class FxTrade:
    """One trade entry of the FX journal with the quote it executed."""

    entry_id: uuid.UUID
    redemption_id: uuid.UUID
    sell_minor: int
    mid: Decimal
    cnh_from_customer: Decimal
    cnh_to_provider: Decimal
    payout_from_provider: Decimal


@dataclass
class Facts:
    # the broker
    redeem_requests: Counter[uuid.UUID] = field(default_factory=Counter)
    deposit_notices: Counter[str] = field(default_factory=Counter)
    lag: dict[str, int] = field(default_factory=dict)
    dead_letters: list[broker.DeadLetter] = field(default_factory=list)
    # redemption
    sagas: dict[uuid.UUID, Saga] = field(default_factory=dict)
    quotes_unanswered: list[uuid.UUID] = field(default_factory=list)
    # kyc: the limit reservation of each redemption's eligibility check
    reservations: dict[uuid.UUID, str] = field(default_factory=dict)
    # issuance
    mints: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    burns: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    holds: dict[uuid.UUID, str] = field(default_factory=dict)
    token_movements: dict[tuple[uuid.UUID, str], tuple[int, int]] = field(default_factory=dict)
    """(redemption or deposit id, kind) -> (movements, tokens moved)."""
    wallets_total: int = 0
    holds_total: int = 0
    issuer_minted: int = 0
    issuer_burned: int = 0
    token_accounts_off: list[tuple[str, int, int]] = field(default_factory=list)
    # fx
    conversions: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    reversed: set[uuid.UUID] = field(default_factory=set)
    fx_entries: Counter[tuple[uuid.UUID, str]] = field(default_factory=Counter)
    fx_trades: list[FxTrade] = field(default_factory=list)
    customer_net: dict[uuid.UUID, dict[str, Decimal]] = field(default_factory=dict)
    # settlement
    payouts: list[Payout] = field(default_factory=list)
    bank_payments: Counter[uuid.UUID] = field(default_factory=Counter)
    ledger_entries: Counter[tuple[uuid.UUID, str]] = field(default_factory=Counter)
    reserve_releases: set[uuid.UUID] = field(default_factory=set)
    unbalanced: list[tuple[uuid.UUID, str, int, int]] = field(default_factory=list)
    ledger_accounts_off: list[tuple[str, int, int]] = field(default_factory=list)
    reserve_fen: int = 0
    deposits: list[tuple[str, uuid.UUID, str, int]] = field(default_factory=list)
    # every database
    unpublished: dict[str, int] = field(default_factory=dict)
    parked: dict[str, dict[str, int]] = field(default_factory=dict)


SETTLE_S = 3.0
"""How long a consumer group gets to reach the end offsets read (a live platform's feed and
statements keep a few records in flight)."""


async def gather(platform: Platform, settle_s: float = SETTLE_S) -> Facts:
    facts = await gather_broker(platform, settle_s)
    await gather_databases(platform, facts)
    return facts


async def gather_broker(platform: Platform, settle_s: float = SETTLE_S) -> Facts:
    """The broker's part of the facts (a fresh Facts holding only it)."""
    facts = Facts()
    requests = platform.topic("redemption.requests")
    notices = platform.topic("settlement.bank-notifications")
    async with broker.Broker(platform.kafka) as kafka:
        ingress = await kafka.read(requests, notices)
        facts.lag = await kafka.lag(platform.topic(""), settle_s)
        facts.dead_letters = await kafka.dead_letters(
            [platform.topic(f"{s}.dlq") for s in sorted(platform.databases)]
        )
    facts.redeem_requests = Counter(
        uuid.UUID(str(r.payload["redemption_id"])) for r in ingress[requests] if r.type == REDEEM
    )
    facts.deposit_notices = Counter(
        str(n.payload["bank_reference"]) for n in ingress[notices] if n.type == DEPOSIT_RECEIVED
    )
    return facts


async def gather_databases(platform: Platform, facts: Facts) -> None:
    """Adds every database's part to `facts`."""
    if platform.bank:
        await _bank(platform.bank, facts)
    for service, dsn in platform.databases.items():
        connection = await asyncpg.connect(dsn)
        try:
            await _messaging(connection, service, facts)
            reader = _READERS.get(service)
            if reader is not None:
                await reader(connection, facts)
        finally:
            await connection.close()


async def _messaging(db: asyncpg.Connection, service: str, facts: Facts) -> None:
    facts.unpublished[service] = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL"
    )
    rows = await db.fetch(
        "SELECT park_reason, count(*) AS n FROM outbox WHERE parked_at IS NOT NULL GROUP BY 1"
    )
    facts.parked[service] = {r["park_reason"]: r["n"] for r in rows}


async def _redemption(db: asyncpg.Connection, facts: Facts) -> None:
    for r in await db.fetch(
        "SELECT redemption_id, status, payout_currency, amount_minor,"
        " saga -> 'failure' ->> 'reason' AS reason,"
        " (saga -> 'request' ->> 'accepted_at')::timestamptz AS accepted_at, ended_at"
        " FROM redemptions"
    ):
        facts.sagas[r["redemption_id"]] = Saga(
            r["status"],
            r["payout_currency"],
            r["amount_minor"],
            r["reason"],
            r["accepted_at"],
            r["ended_at"],
        )
    facts.quotes_unanswered = [
        r[0] for r in await db.fetch("SELECT redemption_id FROM quotes WHERE status = 'requested'")
    ]


async def _kyc(db: asyncpg.Connection, facts: Facts) -> None:
    rows = await db.fetch("SELECT redemption_id, outcome FROM eligibility_checks")
    facts.reservations = {r[0]: r[1] for r in rows}


async def _issuance(db: asyncpg.Connection, facts: Facts) -> None:
    facts.mints = [tuple(r) for r in await db.fetch("SELECT deposit_id, amount FROM mints")]
    facts.burns = [tuple(r) for r in await db.fetch("SELECT redemption_id, amount FROM burns")]
    facts.holds = {r[0]: r[1] for r in await db.fetch("SELECT redemption_id, state FROM holds")}
    for r in await db.fetch(
        "SELECT coalesce(redemption_id, deposit_id) AS subject, kind, count(*) AS n,"
        " sum(amount) AS amount FROM movements GROUP BY 1, 2"
    ):
        facts.token_movements[r["subject"], r["kind"]] = (r["n"], int(r["amount"]))
    totals = {
        r["kind"]: int(r["balance"])
        for r in await db.fetch("SELECT kind, sum(balance) AS balance FROM accounts GROUP BY 1")
    }
    facts.wallets_total = totals.get("wallet", 0)
    facts.holds_total = totals.get("hold", 0)
    facts.issuer_minted = totals.get("issuer_minted", 0)
    facts.issuer_burned = totals.get("issuer_burned", 0)
    # a movement takes from its debit account and gives to its credit account
    facts.token_accounts_off = [
        tuple(r)
        for r in await db.fetch(
            """
            SELECT a.account, a.balance, coalesce(m.net, 0) AS moved FROM accounts a
              LEFT JOIN (SELECT account, sum(amount) AS net FROM (
                           SELECT credit_account AS account, amount FROM movements
                           UNION ALL SELECT debit_account, -amount FROM movements) x
                          GROUP BY account) m USING (account)
             WHERE a.balance <> coalesce(m.net, 0)
            """
        )
    ]


async def _fx(db: asyncpg.Connection, facts: Facts) -> None:
    facts.conversions = [
        tuple(r) for r in await db.fetch("SELECT redemption_id, conversion_id FROM conversions")
    ]
    facts.reversed = {r[0] for r in await db.fetch("SELECT redemption_id FROM reversals")}
    facts.fx_entries = Counter(
        {
            (r["conversion_id"], r["kind"]): r["n"]
            for r in await db.fetch(
                "SELECT conversion_id, kind, count(*) AS n FROM journal_entries GROUP BY 1, 2"
            )
        }
    )
    for r in await db.fetch(
        """
        SELECT e.entry_id, e.redemption_id, q.sell_minor, q.mid,
               coalesce(sum(m.amount) FILTER (WHERE m.source = 'customer_clearing'
                                               AND m.currency = 'CNH'), 0) AS cnh_from_customer,
               coalesce(sum(m.amount) FILTER (WHERE m.destination = 'liquidity_provider'
                                               AND m.currency = 'CNH'), 0) AS cnh_to_provider,
               coalesce(sum(m.amount) FILTER (WHERE m.source = 'liquidity_provider'
                                               AND m.currency = q.currency), 0) AS payout
          FROM journal_entries e
          JOIN conversions c USING (conversion_id)
          JOIN quotes q ON q.quote_id = c.quote_id
          LEFT JOIN movements m ON m.entry_id = e.entry_id
         WHERE e.kind = 'trade'
         GROUP BY e.entry_id, e.redemption_id, q.sell_minor, q.mid
        """
    ):
        facts.fx_trades.append(
            FxTrade(
                r["entry_id"], r["redemption_id"], r["sell_minor"], r["mid"],
                r["cnh_from_customer"], r["cnh_to_provider"], r["payout"],
            )
        )  # fmt: skip
    # what the customer's side of FX holds per redemption, over its trade and its reversal
    for r in await db.fetch(
        """
        SELECT e.redemption_id, m.currency,
               sum(CASE WHEN m.destination = 'customer_clearing' THEN m.amount
                        ELSE -m.amount END) AS net
          FROM journal_entries e JOIN movements m USING (entry_id)
         WHERE 'customer_clearing' IN (m.source, m.destination)
         GROUP BY 1, 2
        """
    ):
        facts.customer_net.setdefault(r["redemption_id"], {})[r["currency"]] = r["net"]


async def _settlement(db: asyncpg.Connection, facts: Facts) -> None:
    facts.payouts = [
        Payout(*r)
        for r in await db.fetch(
            "SELECT redemption_id, payout_id, state FROM payouts WHERE kind = 'redemption'"
        )
    ]
    facts.ledger_entries = Counter(
        {
            (r[0], r[1]): r[2]
            for r in await db.fetch(
                "SELECT redemption_id, template, count(*) FROM journal_entries"
                " WHERE redemption_id IS NOT NULL GROUP BY 1, 2"
            )
        }
    )
    facts.reserve_releases = {
        r[0] for r in await db.fetch("SELECT redemption_id FROM reserve_releases")
    }
    facts.unbalanced = [
        tuple(r)
        for r in await db.fetch(
            """
            SELECT e.entry_id, coalesce(l.currency, '-') AS currency,
                   coalesce(sum(CASE WHEN l.side = 'D' THEN l.amount_minor
                                     ELSE -l.amount_minor END), 0) AS net,
                   (SELECT count(*) FROM journal_lines x WHERE x.entry_id = e.entry_id) AS lines
              FROM journal_entries e LEFT JOIN journal_lines l USING (entry_id)
             GROUP BY e.entry_id, l.currency
            HAVING coalesce(sum(CASE WHEN l.side = 'D' THEN l.amount_minor
                                     ELSE -l.amount_minor END), 0) <> 0
                OR (SELECT count(*) FROM journal_lines x WHERE x.entry_id = e.entry_id) < 2
            """
        )
    ]
    facts.ledger_accounts_off = [
        tuple(r)
        for r in await db.fetch(
            """
            SELECT a.account, a.balance_minor,
                   coalesce(sum(CASE WHEN l.side = a.normal_side THEN l.amount_minor
                                     ELSE -l.amount_minor END), 0) AS posted
              FROM accounts a LEFT JOIN journal_lines l USING (account)
             GROUP BY a.account, a.balance_minor
            HAVING a.balance_minor <> coalesce(sum(CASE WHEN l.side = a.normal_side
                                    THEN l.amount_minor ELSE -l.amount_minor END), 0)
            """
        )
    ]
    facts.reserve_fen = int(
        await db.fetchval(
            "SELECT coalesce(sum(balance_minor), 0) FROM accounts"
            " WHERE account = 'reserve_bank:CNH'"
        )
    )
    facts.deposits = [
        tuple(r)
        for r in await db.fetch(
            "SELECT bank_reference, deposit_id, state, amount_minor FROM deposits"
        )
    ]


async def _bank(dsn: str, facts: Facts) -> None:
    """The payments the bank booked, by the payer's end-to-end id (the payout id): two
    orders for one payout, under whatever keys, are two payments."""
    db = await asyncpg.connect(dsn)
    try:
        rows = await db.fetch(
            "SELECT (request->>'end_to_end_id')::uuid FROM payment_orders"
            " WHERE refused IS NULL AND request->>'end_to_end_id' IS NOT NULL"
        )
    finally:
        await db.close()
    facts.bank_payments = Counter(r[0] for r in rows)


_READERS = {
    "redemption": _redemption,
    "kyc": _kyc,
    "issuance": _issuance,
    "fx": _fx,
    "settlement": _settlement,
}
