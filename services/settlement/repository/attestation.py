"""The attestation report: coverage now, movements since the last report, exceptions.

`build` only reads (`make attest` prints a report read-only); the service records one
(`attest`: build and `record`) every `settlement_attest_record_interval_s`. Recorded
reports are serialised (an advisory lock); each one records which journal entries it
covered, so the next report starts exactly where this one ended (entries committed late
with lower sequence numbers are not skipped: coverage is by entry, not by "id > last").
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import replace

import asyncpg

from schemas import TOKEN, Money
from services.runtime.db import Connection
from services.settlement.domain.attestation import ExceptionItem, Movement, Report, render
from services.settlement.domain.calendar import redemption_deadline
from services.settlement.domain.ledger import account_code
from services.settlement.repository import supply as supply_view
from services.settlement.repository.ledger import balance, balances

_REPORT_LOCK = 0x6174_7465_7374  # "attest"
RESERVE = account_code("reserve_bank", "CNH")


async def coverage(connection: Connection) -> tuple[Money, Money]:
    """(token supply, CNH reserve backing it) as settlement knows them now."""
    supply = Money(amount_minor=await supply_view.supply(connection), currency=TOKEN)
    reserve = await balance(connection, RESERVE)
    return supply, Money(amount_minor=reserve - await held_for_others(connection), currency="CNH")


async def held_for_others(connection: Connection) -> int:
    """Deposits whose money sits in the reserve account but backs no token (a deposit being
    minted counts as backing: issuance may have minted it already)."""
    value = await connection.fetchval(
        "SELECT coalesce(sum(amount_minor), 0) FROM deposits"
        " WHERE state IN ('suspended', 'refunding')"
    )
    return int(value)


async def attest(
    connection: Connection, now: dt.datetime, extra: Sequence[ExceptionItem] = ()
) -> tuple[Report, str]:
    """Build, record and render a report (call inside a transaction, then commit); `extra`:
    exceptions found beside the report's own (the backing checks)."""
    await connection.execute("SELECT pg_advisory_xact_lock($1)", _REPORT_LOCK)
    report, ids = await build(connection, now)
    report = with_exceptions(report, extra)
    text = render(report)
    await record(connection, report, text, ids)
    return report, text


def with_exceptions(report: Report, extra: Sequence[ExceptionItem]) -> Report:
    return replace(report, exceptions=[*report.exceptions, *extra]) if extra else report


async def build(connection: Connection, now: dt.datetime) -> tuple[Report, list[uuid.UUID]]:
    """The report from the ledger as it is, and the journal entries it covers (those no
    recorded report covered yet). Reads only: `make attest` runs it read-only."""
    previous = await connection.fetchval("SELECT max(generated_at) FROM attestations")
    supply = Money(amount_minor=await supply_view.supply(connection), currency=TOKEN)
    reserve = Money(amount_minor=await balance(connection, RESERVE), currency="CNH")
    held = Money(amount_minor=await held_for_others(connection), currency="CNH")
    report_id = uuid.uuid4()
    new_entries = await connection.fetch(
        """
        SELECT e.entry_id FROM journal_entries e
         WHERE NOT EXISTS (SELECT 1 FROM attested_entries a WHERE a.entry_id = e.entry_id)
        """
    )
    ids = [r["entry_id"] for r in new_entries]
    movements = [
        Movement(r["template"], r["entries"], r["account"], r["debits"], r["credits"])
        for r in await connection.fetch(
            """
            SELECT e.template, l.account, count(DISTINCT e.entry_id) AS entries,
                   coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'D'), 0) AS debits,
                   coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'C'), 0) AS credits
              FROM journal_entries e JOIN journal_lines l USING (entry_id)
             WHERE e.entry_id = ANY($1::uuid[])
             GROUP BY e.template, l.account ORDER BY e.template, l.account
            """,
            ids,
        )
    ]
    report = Report(
        report_id=report_id,
        generated_at=now,
        previous_at=previous,
        supply=supply,
        reserve=reserve,
        held_for_others=held,
        balances=await balances(connection),
        movements=movements,
        exceptions=await exceptions(connection, now),
        entries_covered=len(ids),
    )
    return report, ids


async def record(connection: Connection, report: Report, text: str, ids: list[uuid.UUID]) -> None:
    """The report as rendered, and the entries it covered: the next one starts after them."""
    await connection.execute(
        "INSERT INTO attestations (report_id, generated_at, supply_minor, reserve_minor, report)"
        " VALUES ($1, $2, $3, $4, $5)",
        report.report_id,
        report.generated_at,
        report.supply.amount_minor,
        report.reserve.amount_minor,
        text,
    )
    await connection.executemany(
        "INSERT INTO attested_entries (entry_id, report_id) VALUES ($1, $2)",
        [(entry_id, report.report_id) for entry_id in ids],
    )


async def exceptions(connection: Connection, now: dt.datetime) -> list[ExceptionItem]:
    items = [
        ExceptionItem(
            "suspense_deposit",
            str(r["deposit_id"]),
            _money(r),
            r["received_at"],
            f"{r['reason']} (bank ref {r['bank_reference']}) {r['detail']}".strip(),
        )
        for r in await connection.fetch(
            "SELECT * FROM deposits WHERE state IN ('suspended', 'refunding') ORDER BY received_at"
        )
    ]
    items += [
        ExceptionItem(
            "payout_unknown",
            str(r["redemption_id"] or r["deposit_id"]),
            _money(r),
            r["submitted_at"],
            f"payout {r['payout_id']}: {r['detail']}",
        )
        for r in await connection.fetch(
            "SELECT * FROM payouts WHERE state = 'unknown' ORDER BY submitted_at"
        )
    ]
    items += [
        ExceptionItem(
            "payout_returned",
            str(r["case_id"]),
            _money(r),
            r["returned_at"],
            f"payout {r['payout_id']} returned: {r['reason']}",
        )
        for r in await connection.fetch(
            "SELECT * FROM payout_returns WHERE state = 'open' ORDER BY returned_at"
        )
    ]
    for r in await connection.fetch(
        "SELECT * FROM payouts WHERE kind = 'redemption' AND state NOT IN ('rejected', 'failed')"
    ):
        deadline = redemption_deadline(r["requested_at"])
        done_at = r["settled_at"] if r["state"] in ("settled", "returned") else None
        if (done_at or now) > deadline:
            items.append(
                ExceptionItem(
                    "payout_late",
                    str(r["redemption_id"]),
                    _money(r),
                    r["requested_at"],
                    f"one-business-day target {deadline.isoformat()} missed"
                    + (f" (settled {done_at.isoformat()})" if done_at else " (not settled)"),
                )
            )
    items += [
        ExceptionItem(
            "notice_pending",
            r["bank_reference"],
            "",
            r["received_at"],
            f"{r['kind']} notice for payment {r['end_to_end_id']} not applicable yet",
        )
        for r in await connection.fetch(
            "SELECT * FROM bank_notices WHERE applied_at IS NULL ORDER BY received_at"
        )
    ]
    items += [
        ExceptionItem("anomaly", r["reference"], "", r["at"], f"{r['kind']}: {r['detail']}")
        for r in await connection.fetch("SELECT * FROM anomalies ORDER BY id")
    ]
    return items


def _money(row: asyncpg.Record) -> str:
    return str(Money(amount_minor=row["amount_minor"], currency=row["currency"]))
