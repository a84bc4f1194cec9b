"""What the attestation must prove: the tokens are covered, and every mint, payout and
reserve movement has something behind it (pure: the facts come in, the exceptions go out).

Each check proves exactly this, from the ledgers as recorded:

- `coverage_shortfall`: the reserve backing tokens (the CNH reserve account less deposits
  held for others) is below the par value of the larger of the two supply figures known
  (issuance's own ledger, settlement's record of issuance's mints and burns): tokens are not
  fully backed, whichever view lags.
- `unbacked_mint`: a mint whose deposit settlement does not have as received and credited
  to the reserve for minting (state `minting` or `confirmed`), or that minted more than the
  deposit at par. It proves each mint is one bank credit's worth of tokens; not that the
  bank credit itself is genuine (that is reconciliation against the bank statement).
- `unbacked_payout`: a payout the bank accepted (`sent`, `settled`, `returned`) with nothing
  behind it once past the grace period: a redemption payout without its tokens burned (or
  held, in issuance's ledger) at its par value and without a reserve release, or a refund
  (not returned) without its deposit refunding or refunded. In-flight payouts (younger than
  the grace, or with an unknown outcome, listed apart as `payout_unknown`) are not judged.
- `unbacked_reserve_movement`: a line on the CNH reserve account whose entry is not one of
  the reserve's own templates, or whose cause is missing or of another amount: a deposit
  (deposit_matched, deposit_unmatched), a refund payout (refund_settled, and its return:
  payout_returned, refund_returned), a recorded release (reserve_released); and a reserve
  balance that differs from the sum of its lines (a balance moved outside the journal).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from schemas.money import PAR_CURRENCY, TOKEN, Money, par_tokens
from services.settlement.domain.attestation import ExceptionItem

Kind = Literal[
    "coverage_shortfall", "unbacked_mint", "unbacked_payout", "unbacked_reserve_movement"
]
KINDS: tuple[Kind, ...] = (
    "coverage_shortfall",
    "unbacked_mint",
    "unbacked_payout",
    "unbacked_reserve_movement",
)

TOKENS_PER_FEN = par_tokens(Money(amount_minor=1, currency=PAR_CURRENCY)).amount_minor

MINTABLE_DEPOSIT_STATES = frozenset({"minting", "confirmed"})
"""A deposit whose money is in the reserve for minting (its confirmation may be in flight)."""
JUDGED_PAYOUT_STATES = frozenset({"sent", "settled", "returned"})
"""Payouts the bank accepted: money left, or is leaving, the issuer."""
REFUNDED_DEPOSIT_STATES = frozenset({"refunding", "refunded"})


@dataclass(frozen=True, slots=True)
class BackingException:
    kind: Kind
    reference: str
    """A deposit, payout or journal entry id, or an account: never personal data."""
    amount_minor: int
    detail: str


@dataclass(frozen=True, slots=True)
class Mint:
    mint_id: uuid.UUID
    deposit_id: uuid.UUID | None
    """None: a mint recorded before settlement kept the link (nothing to check it by)."""
    tokens_minor: int


@dataclass(frozen=True, slots=True)
class Deposit:
    deposit_id: uuid.UUID
    amount_minor: int
    """CNH fen."""
    state: str


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: uuid.UUID
    kind: str
    """redemption or refund"""
    redemption_id: uuid.UUID | None
    deposit_id: uuid.UUID | None
    par_minor: int
    state: str
    submitted_at: dt.datetime
    released: bool
    """Its reserve release is recorded."""


@dataclass(frozen=True, slots=True)
class ReserveLine:
    entry_id: uuid.UUID
    template: str
    side: str
    amount_minor: int
    deposit_minor: int | None
    """The amount of the deposit the entry names (None: it names none, or none exists)."""
    refund_minor: int | None
    """The amount of the refund payout it names."""
    release_minor: int | None
    """The amount of the reserve release recorded with this entry."""


@dataclass(frozen=True, slots=True)
class Figures:
    supply_minor: int
    """Tokens (minor units): the larger of the supply figures known."""
    backing_minor: int
    """CNH fen of the reserve that backs tokens."""


Cause = Literal["deposit", "refund", "release"]
_CAUSES: dict[str, tuple[str, Cause]] = {
    "deposit_matched": ("D", "deposit"),
    "deposit_unmatched": ("D", "deposit"),
    "refund_returned": ("D", "refund"),
    "payout_returned": ("D", "refund"),  # a returned refund comes back to the reserve account
    "refund_settled": ("C", "refund"),
    "reserve_released": ("C", "release"),
}
"""The reserve's own templates: the side each moves it on, and what must be behind it."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the checks read, from settlement's ledger (and issuance's, where it is read)."""

    figures: Figures
    mints: Sequence[Mint]
    deposits: Mapping[uuid.UUID, Deposit]
    """The deposits the mints and refund payouts name."""
    payouts: Sequence[Payout]
    tokens_out: Mapping[uuid.UUID, int]
    reserve_lines: Sequence[ReserveLine]
    reserve_balance_minor: int


def exceptions_of(facts: Facts, now: dt.datetime, grace: dt.timedelta) -> list[BackingException]:
    """Every backing exception, ordered by kind and reference."""
    found = [
        *coverage(facts.figures),
        *unbacked_mints(facts.mints, facts.deposits),
        *unbacked_payouts(facts.payouts, facts.tokens_out, facts.deposits, now, grace),
        *unbacked_reserve_movements(facts.reserve_lines, facts.reserve_balance_minor),
    ]
    return sorted(found, key=lambda e: (KINDS.index(e.kind), e.reference))


def coverage(figures: Figures) -> list[BackingException]:
    par = -(-figures.supply_minor // TOKENS_PER_FEN)  # rounded up: never understated
    if figures.backing_minor >= par:
        return []
    return [
        BackingException(
            "coverage_shortfall",
            "reserve_bank:CNH",
            par - figures.backing_minor,
            f"backing {figures.backing_minor} fen < supply at par {par} fen",
        )
    ]


def unbacked_mints(
    mints: Iterable[Mint], deposits: Mapping[uuid.UUID, Deposit]
) -> list[BackingException]:
    found = []
    for mint in mints:
        if mint.deposit_id is None:
            continue
        deposit = deposits.get(mint.deposit_id)
        why = _mint_gap(mint, deposit)
        if why:
            found.append(
                BackingException("unbacked_mint", str(mint.mint_id), mint.tokens_minor, why)
            )
    return found


def _mint_gap(mint: Mint, deposit: Deposit | None) -> str:
    if deposit is None:
        return f"deposit {mint.deposit_id} is not known to settlement"
    if deposit.state not in MINTABLE_DEPOSIT_STATES:
        return f"deposit {deposit.deposit_id} is {deposit.state}, not credited for minting"
    if mint.tokens_minor > deposit.amount_minor * TOKENS_PER_FEN:
        return f"{mint.tokens_minor} tokens minted for {deposit.amount_minor} fen"
    return ""


def unbacked_payouts(
    payouts: Iterable[Payout],
    tokens_out: Mapping[uuid.UUID, int],
    deposits: Mapping[uuid.UUID, Deposit],
    now: dt.datetime,
    grace: dt.timedelta,
) -> list[BackingException]:
    """`tokens_out`: per redemption, the tokens burned for it (or held for it, where
    issuance's ledger is read)."""
    found = []
    for payout in payouts:
        if payout.state not in JUDGED_PAYOUT_STATES or now - payout.submitted_at < grace:
            continue
        why = _payout_gap(payout, tokens_out, deposits)
        if why:
            found.append(
                BackingException("unbacked_payout", str(payout.payout_id), payout.par_minor, why)
            )
    return found


def _payout_gap(
    payout: Payout, tokens_out: Mapping[uuid.UUID, int], deposits: Mapping[uuid.UUID, Deposit]
) -> str:
    if payout.kind == "refund":
        if payout.state == "returned":
            return ""  # the money came back: the deposit is in suspense again
        deposit = deposits.get(payout.deposit_id) if payout.deposit_id else None
        if deposit is None or deposit.state not in REFUNDED_DEPOSIT_STATES:
            return f"refund of deposit {payout.deposit_id}, which is not being refunded"
        return ""
    if payout.released or payout.redemption_id is None:
        return ""
    tokens = tokens_out.get(payout.redemption_id, 0)
    if tokens < payout.par_minor * TOKENS_PER_FEN:
        return (
            f"redemption {payout.redemption_id}: {tokens} tokens burned or held for a par "
            f"of {payout.par_minor} fen, and no reserve release"
        )
    return ""


def unbacked_reserve_movements(
    lines: Iterable[ReserveLine], balance_minor: int
) -> list[BackingException]:
    found = []
    net = 0
    for line in lines:
        net += line.amount_minor if line.side == "D" else -line.amount_minor
        why = _movement_gap(line)
        if why:
            found.append(
                BackingException(
                    "unbacked_reserve_movement", str(line.entry_id), line.amount_minor, why
                )
            )
    if net != balance_minor:
        found.append(
            BackingException(
                "unbacked_reserve_movement",
                "reserve_bank:CNH",
                abs(balance_minor - net),
                f"balance {balance_minor} fen, its journal lines sum to {net} fen",
            )
        )
    return found


def _movement_gap(line: ReserveLine) -> str:
    expected = _CAUSES.get(line.template)
    if expected is None:
        return f"{line.template} is not a movement of the reserve"
    side, cause = expected
    if side != line.side:
        return f"{line.template} moves the reserve on the wrong side ({line.side})"
    amount = {
        "deposit": line.deposit_minor,
        "refund": line.refund_minor,
        "release": line.release_minor,
    }[cause]
    if amount is None:
        return f"{line.template} names no recorded {cause}"
    if amount != line.amount_minor:
        return f"{line.template} of {line.amount_minor} fen for a {cause} of {amount} fen"
    return ""


# --- the alert: once per distinct state -------------------------------------------------


def fingerprint(exceptions: Sequence[BackingException]) -> str:
    """The exception state: which kinds on which references (amounts and wording aside,
    so that a reworded detail is not a new state). Empty: nothing to report."""
    if not exceptions:
        return ""
    keys = sorted({f"{e.kind}:{e.reference}" for e in exceptions})
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def should_alert(last_fingerprint: str | None, exceptions: Sequence[BackingException]) -> bool:
    """Alert when the state differs from the one last alerted: new exceptions, and once
    when they cleared. Nothing is sent for a clean ledger that never alerted."""
    current = fingerprint(exceptions)
    return current != (last_fingerprint or "")


def counts(exceptions: Iterable[BackingException]) -> dict[Kind, int]:
    tally: dict[Kind, int] = {}
    for e in exceptions:
        tally[e.kind] = tally.get(e.kind, 0) + 1
    return tally


def report_items(exceptions: Iterable[BackingException], now: dt.datetime) -> list[ExceptionItem]:
    """The exceptions as the attestation report lists them (found at `now`)."""
    return [ExceptionItem(e.kind, e.reference, str(_money(e)), now, e.detail) for e in exceptions]


def _money(e: BackingException) -> Money:
    currency = TOKEN if e.kind == "unbacked_mint" else PAR_CURRENCY
    return Money(amount_minor=e.amount_minor, currency=currency)
