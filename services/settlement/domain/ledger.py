"""The fiat double-entry ledger: the chart of accounts and every journal template.

An account is a name and a currency ("reserve_bank:CNH"). A journal entry is a set of lines
(account, debit or credit, positive minor units) whose debits equal its credits in every
currency. Entries are never changed or deleted: a correction is a new entry. The database
enforces the same rules (migrations/settlement_0001_ledger.py): balanced entries (a deferred
constraint trigger, checked at commit), balances that may not go negative, immutability.

Chart of accounts (normal side: the side that increases the balance)

| account                 | kind      | normal | < 0 | meaning                               |
|-------------------------|-----------|--------|-----|---------------------------------------|
| reserve_bank:CNH        | asset     | debit  | no  | the segregated CNH reserve account    |
| nostro:CCY              | asset     | debit  | no  | operating accounts payouts leave from |
| redemption_clearing:CNH | asset     | debit  | no  | par of paid-out redemptions, owed by  |
|                         |           |        |     | the reserve until the burn releases it|
| fx_clearing:CCY         | clearing  | debit  | yes | FX counterparty position per currency:|
|                         |           |        |     | debit owed to us, credit owed by us   |
| tokens_to_issue:CNH     | liability | credit | no  | deposits credited, mint not confirmed |
| tokens_outstanding:CNH  | liability | credit | no  | par of tokens minted, not yet released|
| customer_payable:CCY    | liability | credit | no  | payouts ordered, not settled yet      |
| suspense:CCY            | liability | credit | no  | money held that cannot be applied:    |
|                         |           |        |     | unmatched/unmintable deposits, returns|
| fees:CCY                | income    | credit | yes | redemption fees (negative: a cost)    |
| rounding:CCY            | expense   | debit  | yes | sub-unit remainders (settlement's own |
|                         |           |        |     | arithmetic is exact: adjustments only)|

Journal templates (P = par value in CNH, A = payout amount in its currency X)

- deposit_matched      Dr reserve_bank:CNH / Cr tokens_to_issue:CNH          (deposit amount)
- deposit_unmatched    Dr reserve_bank:CNH / Cr suspense:CNH
- mint_confirmed       Dr tokens_to_issue:CNH / Cr tokens_outstanding:CNH
- mint_rejected        Dr tokens_to_issue:CNH / Cr suspense:CNH
- deposit_rematched    Dr suspense:CNH / Cr tokens_to_issue:CNH   (its wallet became known:
                       minted after all)
- payout_ordered       CNH: Dr redemption_clearing P / Cr fx_clearing P      (P CNH sold)
  (bank accepted, or   X:   Dr fx_clearing A / Cr customer_payable A         (A X bought, owed)
   outcome unknown)    CNH payout below par: Dr fx_clearing (P-A) / Cr fees (P-A)
- payout_settled       X: Dr nostro A / Cr fx_clearing A    (conversion proceeds delivered)
                       X: Dr customer_payable A / Cr nostro A  (paid to the customer)
- payout_failed        the exact reverse of payout_ordered (a new entry, history kept)
- payout_returned      X: Dr nostro A / Cr suspense A       (back at the bank: a new case)
- reserve_released     CNH: Dr fx_clearing P / Cr reserve_bank P   (the reserve pays the
                       conversion's CNH side) and Dr tokens_outstanding P / Cr
                       redemption_clearing P (the burned tokens' liability is extinguished)
- refund_ordered       Dr suspense:CNH / Cr customer_payable:CNH   (a suspended deposit)
- refund_settled       Dr customer_payable:CNH / Cr reserve_bank:CNH (paid from the reserve
                       account, where the deposit sits)
- refund_failed        Dr customer_payable:CNH / Cr suspense:CNH
- refund_returned      Dr reserve_bank:CNH / Cr suspense:CNH

Why the payout is paid from nostro and not from the reserve: until the burn (saga step 5) the
tokens are still in circulation, so the reserve must keep backing them; the reserve pays its
share (P) only at release, after the burn. Coverage (reserve >= supply at par) never dips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from schemas.money import PAR_CURRENCY, TOKEN, Money


class Side(StrEnum):
    DEBIT = "D"
    CREDIT = "C"


@dataclass(frozen=True, slots=True)
class AccountType:
    name: str
    kind: str
    normal: Side
    may_be_negative: bool
    only_currency: str | None = None
    """Accounts that exist in one currency only (the reserve is CNH)."""


_D, _C = Side.DEBIT, Side.CREDIT
CHART: dict[str, AccountType] = {
    a.name: a
    for a in (
        AccountType("reserve_bank", "asset", _D, False, PAR_CURRENCY),
        AccountType("nostro", "asset", _D, False),
        AccountType("redemption_clearing", "asset", _D, False, PAR_CURRENCY),
        AccountType("fx_clearing", "clearing", _D, True),
        AccountType("tokens_to_issue", "liability", _C, False, PAR_CURRENCY),
        AccountType("tokens_outstanding", "liability", _C, False, PAR_CURRENCY),
        AccountType("customer_payable", "liability", _C, False),
        AccountType("suspense", "liability", _C, False),
        AccountType("fees", "income", _C, True),
        AccountType("rounding", "expense", _D, True),
    )
}


class LedgerError(ValueError):
    """An entry that breaks the ledger's rules (a defect in the caller, never data)."""


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    currency: str
    side: Side
    amount_minor: int

    @property
    def code(self) -> str:
        return account_code(self.account, self.currency)

    @property
    def signed(self) -> int:
        """Debits positive, credits negative: a balanced entry sums to zero per currency."""
        return self.amount_minor if self.side is Side.DEBIT else -self.amount_minor


def account_code(name: str, currency: str) -> str:
    return f"{name}:{currency}"


@dataclass(frozen=True, slots=True)
class Entry:
    template: str
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if len(self.lines) < 2:
            raise LedgerError(f"{self.template}: an entry has at least two lines")
        for line in self.lines:
            kind = CHART.get(line.account)
            if kind is None:
                raise LedgerError(f"{self.template}: {line.account} is not in the chart")
            if kind.only_currency and line.currency != kind.only_currency:
                raise LedgerError(f"{self.template}: {line.account} holds {kind.only_currency}")
            if line.currency == TOKEN:
                raise LedgerError(f"{self.template}: tokens are issuance's ledger, not fiat")
            if line.amount_minor <= 0:
                raise LedgerError(f"{self.template}: line amounts are positive")
        unbalanced = {c: s for c, s in per_currency(self.lines).items() if s}
        if unbalanced:
            raise LedgerError(f"{self.template}: unbalanced {unbalanced}")


def per_currency(lines: Iterable[Line]) -> dict[str, int]:
    """Debits minus credits per currency (zero for a balanced set of lines)."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.currency] += line.signed
    return dict(totals)


def balance_effect(line: Line) -> int:
    """How a line moves its account's balance (kept on the account's normal side)."""
    normal = CHART[line.account].normal
    return line.amount_minor if line.side is normal else -line.amount_minor


def reserve_change(entry: Entry) -> int:
    """How an entry moves the CNH reserve account's balance (fen; zero: it does not)."""
    return sum(balance_effect(line) for line in entry.lines if line.account == "reserve_bank")


def transfer(debit: str, credit: str, money: Money) -> tuple[Line, ...]:
    """Debit one account and credit another with the same money (no lines for zero)."""
    if money.amount_minor == 0:
        return ()
    return (
        Line(debit, money.currency, Side.DEBIT, money.amount_minor),
        Line(credit, money.currency, Side.CREDIT, money.amount_minor),
    )


def _entry(template: str, *parts: tuple[Line, ...]) -> Entry:
    return Entry(template, tuple(line for part in parts for line in part))


# --- deposits -----------------------------------------------------------------------------


def deposit_matched(amount: Money) -> Entry:
    return _entry("deposit_matched", transfer("reserve_bank", "tokens_to_issue", amount))


def deposit_unmatched(amount: Money) -> Entry:
    return _entry("deposit_unmatched", transfer("reserve_bank", "suspense", amount))


def deposit_rematched(amount: Money) -> Entry:
    """Out of suspense, to be minted after all (its wallet became known)."""
    return _entry("deposit_rematched", transfer("suspense", "tokens_to_issue", amount))


def mint_confirmed(amount: Money) -> Entry:
    return _entry("mint_confirmed", transfer("tokens_to_issue", "tokens_outstanding", amount))


def mint_rejected(amount: Money) -> Entry:
    return _entry("mint_rejected", transfer("tokens_to_issue", "suspense", amount))


# --- redemption payouts -------------------------------------------------------------------


def payout_ordered(amount: Money, par: Money) -> Entry:
    fee = _cnh_fee(amount, par)
    fee_lines = (
        transfer("fx_clearing", "fees", _cnh(fee))
        if fee >= 0
        else transfer("fees", "fx_clearing", _cnh(-fee))
    )
    return _entry(
        "payout_ordered",
        transfer("redemption_clearing", "fx_clearing", par),
        transfer("fx_clearing", "customer_payable", amount),
        fee_lines,
    )


def payout_failed(amount: Money, par: Money) -> Entry:
    ordered = payout_ordered(amount, par)
    return Entry("payout_failed", tuple(_reverse(line) for line in ordered.lines))


def payout_settled(amount: Money) -> Entry:
    return _entry(
        "payout_settled",
        transfer("nostro", "fx_clearing", amount),
        transfer("customer_payable", "nostro", amount),
    )


def payout_returned(amount: Money, paid_from: str) -> Entry:
    return _entry("payout_returned", transfer(paid_from, "suspense", amount))


def reserve_released(par: Money) -> Entry:
    return _entry(
        "reserve_released",
        transfer("fx_clearing", "reserve_bank", par),
        transfer("tokens_outstanding", "redemption_clearing", par),
    )


# --- refunds of suspended deposits ----------------------------------------------------------


def refund_ordered(amount: Money) -> Entry:
    return _entry("refund_ordered", transfer("suspense", "customer_payable", amount))


def refund_settled(amount: Money) -> Entry:
    return _entry("refund_settled", transfer("customer_payable", "reserve_bank", amount))


def refund_failed(amount: Money) -> Entry:
    return _entry("refund_failed", transfer("customer_payable", "suspense", amount))


def _cnh_fee(amount: Money, par: Money) -> int:
    """A CNH payout below par leaves the difference as the issuer's fee (signed: a payout
    above par is a cost). A converted payout's margin is the FX service's, not ours."""
    if amount.currency != PAR_CURRENCY:
        return 0
    return par.amount_minor - amount.amount_minor


def _cnh(minor: int) -> Money:
    return Money(amount_minor=minor, currency=PAR_CURRENCY)


def _reverse(line: Line) -> Line:
    side = Side.CREDIT if line.side is Side.DEBIT else Side.DEBIT
    return Line(line.account, line.currency, side, line.amount_minor)
