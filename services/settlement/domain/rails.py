"""Which rail pays a payout (our routing choice; the bank executes).

- FPS (Faster Payment System): Hong Kong's instant retail rail, HKD and CNH, settles in
  seconds, used for domestic payouts up to the FPS limit (1,000,000.00 in the currency).
- CHATS: Hong Kong's RTGS (real-time gross settlement) systems for HKD, USD, CNH and EUR:
  domestic payouts above the FPS limit, and domestic USD/EUR payouts.
- SWIFT: everything else (other currencies, beneficiaries outside Hong Kong); settles later.
The token itself is never paid out through a bank: it is refused as unsupported.
"""

from __future__ import annotations

from typing import Literal

from schemas.money import EXPONENTS, TOKEN, Money

Rail = Literal["FPS", "CHATS", "RTGS", "SWIFT"]

FPS_CURRENCIES = frozenset({"HKD", "CNH"})
CHATS_CURRENCIES = frozenset({"HKD", "USD", "CNH", "EUR"})
FPS_LIMIT_UNITS = 1_000_000
"""Per-payment FPS limit, in whole units of the currency (banks cap FPS transfers)."""


def is_payable(currency: str) -> bool:
    return currency in EXPONENTS and currency != TOKEN


def choose_rail(amount: Money, beneficiary_country: str) -> Rail | None:
    """The rail for a payout, or None when no bank rail pays this currency."""
    if not is_payable(amount.currency):
        return None
    if beneficiary_country == "HK":
        fps_limit = FPS_LIMIT_UNITS * 10 ** EXPONENTS[amount.currency]
        if amount.currency in FPS_CURRENCIES and amount.amount_minor <= fps_limit:
            return "FPS"
        if amount.currency in CHATS_CURRENCIES:
            return "CHATS"
    return "SWIFT"
