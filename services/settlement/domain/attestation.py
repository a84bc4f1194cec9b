"""The reserve attestation: coverage of the token supply by the CNH reserve, and the report
an auditor reads (pure: the figures come in, the text goes out)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from schemas.money import Money, par_cnh


def coverage_ratio(reserve: Money, supply: Money) -> Decimal | None:
    """reserve / (supply at par), rounded down to 6 places (never overstated); None when
    nothing is in circulation."""
    par = par_cnh(supply)
    if par.amount_minor == 0:
        return None
    return (Decimal(reserve.amount_minor) / Decimal(par.amount_minor)).quantize(
        Decimal("0.000001"), rounding=ROUND_DOWN
    )


def is_covered(reserve: Money, supply: Money) -> bool:
    return reserve.amount_minor >= par_cnh(supply).amount_minor


@dataclass(frozen=True, slots=True)
class Movement:
    template: str
    entries: int
    account: str
    debits_minor: int
    credits_minor: int


@dataclass(frozen=True, slots=True)
class ExceptionItem:
    kind: str
    """suspense_deposit, payout_unknown, payout_returned, payout_late, notice_pending,
    anomaly (a conflict or mismatch recorded for an operator)"""
    reference: str
    amount: str
    since: dt.datetime
    detail: str


@dataclass(frozen=True, slots=True)
class Report:
    report_id: uuid.UUID
    generated_at: dt.datetime
    previous_at: dt.datetime | None
    supply: Money
    reserve: Money
    held_for_others: Money
    """Money in the reserve account that backs no token: deposits in suspense (unmatched,
    unmintable) and refunds on their way back to the payer."""
    balances: dict[str, int]
    """Every account's balance (minor units, on its normal side)."""
    movements: list[Movement] = field(default_factory=list)
    exceptions: list[ExceptionItem] = field(default_factory=list)
    entries_covered: int = 0


def backing(report: Report) -> Money:
    """The part of the reserve that backs the tokens."""
    return report.reserve - report.held_for_others


def render(report: Report) -> str:
    net = backing(report)
    ratio = coverage_ratio(net, report.supply)
    gross = coverage_ratio(report.reserve, report.supply)
    par = par_cnh(report.supply)
    covered = is_covered(net, report.supply)
    out = [
        "CNH STABLECOIN - RESERVE ATTESTATION",
        f"report id        {report.report_id}",
        f"generated at     {report.generated_at.isoformat()}",
        "period from      "
        + (report.previous_at.isoformat() if report.previous_at else "inception (first report)"),
        "",
        "1. COVERAGE",
        f"  tokens in circulation      {report.supply}",
        f"  par value of circulation   {par}",
        f"  CNH reserve (bank account) {report.reserve}",
        f"  held for others            {report.held_for_others} (suspense, refunds in flight)",
        f"  reserve backing tokens     {net}",
        f"  coverage ratio             {ratio if ratio is not None else 'n/a (no supply)'}",
        f"  gross ratio (whole account) {gross if gross is not None else 'n/a'}",
        f"  fully backed               {'YES' if covered else 'NO - SHORTFALL'}",
        "",
        "2. LEDGER BALANCES (minor units, normal side)",
        *(f"  {code:<28} {balance:>20}" for code, balance in sorted(report.balances.items())),
        "",
        f"3. MOVEMENTS SINCE THE LAST REPORT ({report.entries_covered} journal entries)",
    ]
    if not report.movements:
        out.append("  none")
    for m in report.movements:
        out.append(
            f"  {m.template:<20} x{m.entries:<5} {m.account:<28}"
            f" Dr {m.debits_minor:>14} Cr {m.credits_minor:>14}"
        )
    out += ["", f"4. EXCEPTIONS ({len(report.exceptions)})"]
    if not report.exceptions:
        out.append("  none")
    for e in report.exceptions:
        out.append(f"  [{e.kind}] {e.reference} {e.amount} since {e.since.isoformat()}: {e.detail}")
    return "\n".join(out) + "\n"
