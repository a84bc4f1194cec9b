"""EXPLAIN of the per-message queries of the saga, the ledgers and the runtime, with real
keys from the run's own rows (after ANALYZE, so the planner sees the real table sizes).
A plan that scans a whole table on a hot path would make latency grow with history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

# (service, name, query, sample-key query: returns the parameters as one row)
HOT_PATHS: list[tuple[str, str, str, str]] = [
    ("redemption", "sagas of a batch of replies (locked up front)",
     "SELECT redemption_id, saga FROM redemptions WHERE redemption_id = ANY($1::uuid[])"
     " ORDER BY redemption_id FOR UPDATE",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM redemptions LIMIT 50) s"),
    ("redemption", "saga state of a batch (staged UPDATE at commit)",
     "UPDATE redemptions AS r SET updated_at = now() FROM unnest($1::uuid[]) AS s (id)"
     " WHERE r.redemption_id = s.id",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM redemptions LIMIT 50) s"),
    ("redemption", "quote requests of a batch (every Redeem / quote reply)",
     "SELECT * FROM quotes WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id"
     " FOR UPDATE",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM quotes LIMIT 50) s"),
    ("redemption", "watchdog: due sagas",
     "SELECT saga FROM redemptions WHERE status NOT IN ('COMPLETED', 'FAILED', 'NEEDS_REVIEW')"
     " AND deadline <= now() ORDER BY deadline LIMIT 200 FOR UPDATE SKIP LOCKED",
     "SELECT"),
    ("redemption", "inbox lookup (every batch)",
     "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
     "SELECT consumer, array_agg(message_id) FROM (SELECT consumer, message_id FROM inbox"
     " LIMIT 500) s GROUP BY consumer LIMIT 1"),
    ("redemption", "relay: the next batch (every relay batch)",
     "SELECT id FROM outbox WHERE published_at IS NULL AND parked_at IS NULL"
     " ORDER BY id LIMIT 2000",
     "SELECT"),
    ("kyc", "eligibility: live reservations of the customer (every CheckEligibility)",
     "SELECT coalesce(sum(amount_minor), 0) FROM eligibility_checks WHERE customer_id = $1"
     " AND outcome = 'reserved' AND checked_at > now() - interval '24 hours'",
     "SELECT customer_id FROM eligibility_checks WHERE customer_id IS NOT NULL LIMIT 1"),
    ("kyc", "customers of a batch of checks (locked up front)",
     "SELECT * FROM customers WHERE customer_id = ANY($1::uuid[]) ORDER BY customer_id"
     " FOR UPDATE",
     "SELECT array_agg(customer_id) FROM (SELECT customer_id FROM customers LIMIT 50) s"),
    ("kyc", "eligibility checks of a batch (locked up front)",
     "SELECT * FROM eligibility_checks WHERE redemption_id = ANY($1::uuid[])"
     " ORDER BY redemption_id FOR UPDATE",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM eligibility_checks"
     " LIMIT 50) s"),
    ("issuance", "wallet accounts of a batch, with their balances (locked up front)",
     "SELECT account, balance FROM accounts WHERE account = ANY($1::text[])"
     " ORDER BY account ASC FOR UPDATE",
     "SELECT array_agg(account) FROM (SELECT account FROM accounts WHERE kind = 'wallet'"
     " LIMIT 50) s"),
    ("issuance", "holds of a batch (locked up front)",
     "SELECT * FROM holds WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id"
     " FOR UPDATE",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM holds LIMIT 50) s"),
    ("fx", "what a conversion depends on: its quote (locked), cancellation, conversion",
     "SELECT q.*, EXISTS (SELECT 1 FROM cancellations WHERE redemption_id = $2),"
     " (SELECT quote_id FROM conversions WHERE redemption_id = $2)"
     " FROM quotes q WHERE q.quote_id = $1 FOR UPDATE OF q",
     "SELECT quote_id, redemption_id FROM quotes LIMIT 1"),
    ("fx", "cancellation check",
     "SELECT EXISTS (SELECT 1 FROM cancellations WHERE redemption_id = $1)",
     "SELECT redemption_id FROM quotes LIMIT 1"),
    ("settlement", "payouts of a batch of commands (locked up front)",
     "SELECT * FROM payouts WHERE redemption_id = ANY($1::uuid[]) ORDER BY payout_id FOR UPDATE",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM payouts"
     " WHERE redemption_id IS NOT NULL LIMIT 50) s"),
    ("settlement", "payouts of a batch of bank notices (locked up front)",
     "SELECT * FROM payouts WHERE payout_id = ANY($1::uuid[]) ORDER BY payout_id FOR UPDATE",
     "SELECT array_agg(payout_id) FROM (SELECT payout_id FROM payouts LIMIT 50) s"),
    ("settlement", "reserve releases of a batch (read up front)",
     "SELECT redemption_id, amount_minor, reserve_after FROM reserve_releases"
     " WHERE redemption_id = ANY($1::uuid[])",
     "SELECT array_agg(redemption_id) FROM (SELECT redemption_id FROM reserve_releases"
     " LIMIT 50) s"),
    ("settlement", "deposit lock (every mint reply)",
     "SELECT * FROM deposits WHERE deposit_id = $1 FOR UPDATE",
     "SELECT deposit_id FROM deposits LIMIT 1"),
    ("settlement", "journal: accounts of a batch's entries (staged, at commit)",
     "SELECT account FROM accounts WHERE account = ANY($1::text[])",
     "SELECT array_agg(account) FROM accounts"),
]  # fmt: skip


async def explain_hot_paths(databases: Mapping[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    analysed: set[str] = set()
    for service, name, sql, sample in HOT_PATHS:
        connection = await asyncpg.connect(databases[service])
        try:
            if service not in analysed:
                await connection.execute("ANALYZE")
                analysed.add(service)
            params = await connection.fetchrow(sample)
            if params is None and sample != "SELECT":
                found.append({"service": service, "query": name, "plan": "no rows to sample"})
                continue
            args = list(params.values()) if params is not None else []
            async with connection.transaction():  # FOR UPDATE plans only; nothing is kept
                rows = await connection.fetch(f"EXPLAIN {sql}", *args)
            plan = [r[0] for r in rows]
        finally:
            await connection.close()
        text = "\n".join(plan)
        found.append(
            {
                "service": service,
                "query": name,
                "plan": plan,
                "seq_scan": "Seq Scan" in text,
            }
        )
    return found
