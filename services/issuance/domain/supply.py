"""The supply invariant: minted - burned == balances + holds, and the journal agrees."""

from __future__ import annotations

from dataclasses import dataclass

from services.issuance.domain.ledger import tokens_text


@dataclass(frozen=True, slots=True)
class Supply:
    """What the ledger says, from its account balances and, independently, its journal."""

    minted: int
    """-balance of issuer:minted."""
    burned: int
    """balance of issuer:burned."""
    balances: int
    """sum of wallet balances (frozen ones included: they stay backed)."""
    holds: int
    """sum of hold balances."""
    journal_minted: int
    journal_burned: int
    placed_holds: int
    """sum of the amounts of holds in state placed."""
    accounts_sum: int
    """sum of every account balance: zero when every movement balanced."""

    @property
    def supply(self) -> int:
        return self.minted - self.burned

    def violations(self) -> list[str]:
        found = []
        if self.supply != self.balances + self.holds:
            found.append("minted - burned != balances + holds")
        if (self.journal_minted, self.journal_burned) != (self.minted, self.burned):
            found.append("journal totals differ from the issuer accounts")
        if self.placed_holds != self.holds:
            found.append("placed holds differ from the hold accounts")
        if self.accounts_sum != 0:
            found.append("account balances do not sum to zero")
        return found

    def render(self) -> str:
        lines = [
            f"{name:<9} {tokens_text(value)}"
            for name, value in (
                ("minted", self.minted),
                ("burned", self.burned),
                ("supply", self.supply),
                ("balances", self.balances),
                ("holds", self.holds),
            )
        ]
        problems = self.violations()
        verdict = "holds" if not problems else "BROKEN: " + "; ".join(problems)
        lines.append(f"invariant minted - burned == balances + holds: {verdict}")
        return "\n".join(lines)
