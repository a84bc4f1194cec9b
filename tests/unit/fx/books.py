"""FX's journal summed in memory, to check what the domain's movements add up to (the
service keeps its balances in SQL: repository/ledger.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Context, Decimal, Inexact, Rounded

from schemas.money import PRECISION
from services.fx.domain.ledger import Account, Movement

_EXACT = Context(prec=PRECISION, traps=[Inexact, Rounded])


def balances(movements: Iterable[Movement]) -> dict[tuple[Account, str], Decimal]:
    """Every touched (account, currency) and its balance: in minus out."""
    totals: dict[tuple[Account, str], Decimal] = defaultdict(Decimal)
    for m in movements:
        into, out_of = (m.destination, m.currency), (m.source, m.currency)
        totals[into] = _EXACT.add(totals[into], m.amount)
        totals[out_of] = _EXACT.subtract(totals[out_of], m.amount)
    return dict(totals)
