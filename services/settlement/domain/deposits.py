"""Deposits: the id of a bank credit, and matching its remittance text to a wallet."""

from __future__ import annotations

import re
import uuid

from schemas.ids import derive_id

_DEPOSITS = uuid.UUID("2f9d3c1e-8a41-4d5e-b6c0-5a3e7f9d1c20")
_REFERENCE = re.compile(r"CNH-[A-Z0-9]{10}")


def deposit_id(bank_reference: str) -> uuid.UUID:
    """One deposit per bank credit: the bank reference identifies it, so a notification
    delivered again (under any message id) names the same deposit."""
    return derive_id(_DEPOSITS, bank_reference)


def deposit_reference_in(remittance: str) -> str | None:
    """The customer's deposit reference ("CNH-" + 10 characters) in a payer's free text,
    which banks pass on in any case and with any surrounding words. None if there is none,
    or if there are several different ones (ambiguous: an operator decides)."""
    found = set(_REFERENCE.findall(remittance.upper()))
    return found.pop() if len(found) == 1 else None
