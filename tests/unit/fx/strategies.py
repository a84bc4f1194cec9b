"""Explicit hypothesis strategies for FX arithmetic (st.builds ignores decimal bounds)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from schemas.money import Money
from services.fx.domain.pricing import PricingTerms, rate_text

PAYOUT_CURRENCIES = ("USD", "HKD", "EUR", "JPY")  # JPY: a currency without minor units


def cnh_amounts(max_fen: int = 10**14) -> st.SearchStrategy[Money]:
    """From one fen to a trillion CNH."""
    return st.integers(min_value=1, max_value=max_fen).map(
        lambda fen: Money(amount_minor=fen, currency="CNH")
    )


def mids() -> st.SearchStrategy[Decimal]:
    """Mids as the book keeps them: 1e-6 to 1000 with up to 12 fraction digits."""
    return st.builds(
        lambda digits, scale: Decimal(digits).scaleb(-scale),
        st.integers(min_value=1, max_value=10**9),
        st.integers(min_value=6, max_value=12),
    ).filter(lambda d: Decimal("0.000001") <= d <= 1000)


def rate_strings() -> st.SearchStrategy[str]:
    """Strict rate strings, as the wire carries them."""
    return mids().map(rate_text)


def terms() -> st.SearchStrategy[PricingTerms]:
    return st.builds(
        PricingTerms,
        spread_bps=st.integers(min_value=0, max_value=500),
        fee_bps=st.integers(min_value=0, max_value=100),
        fee_min_minor=st.integers(min_value=0, max_value=1_000),
    )
