"""FX's settings (CNH_FX_* environment variables)."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import Field, field_validator

from schemas.money import EXPONENTS, PAR_CURRENCY, Money
from services.fx.domain.pricing import PricingTerms
from services.fx.domain.rates import RateBounds, parse_seed
from services.fx.domain.review import ReviewWindow, parse_windows
from services.fx.use_cases.work import FxTerms
from services.runtime.settings import ServiceSettings


class FxSettings(ServiceSettings):
    fx_seed_rates: str = "CNH/USD=0.1389,CNH/HKD=1.0850,CNH/EUR=0.1280"
    """Applied at startup for a currency the book has no rate for yet, with as_of = the
    startup time (fresh for `fx_max_rate_age_s`). Only a bootstrap for development and
    tests: production must feed fx.rates, or quotes stop once the seed goes stale."""
    fx_max_rate_age_s: float = Field(default=60.0, gt=0)
    fx_rate_max_jump_bps: int = Field(default=500, ge=0)
    fx_rate_max_future_s: float = Field(default=5.0, ge=0)
    fx_review_windows: str = "3600=300,86400=600"
    """SECONDS=BPS per review window: a rate further than BPS from the median of the rates
    accepted in the last SECONDS is held for review (domain/review.py). The defaults hold a
    CNH pair that moved 3 % from its last hour or 6 % from its last day: CNH/USD rarely moves
    0.5 % in a day, and a real crisis move is one an operator should look at anyway. Empty:
    no review (the per-step band alone)."""

    fx_spread_bps: int = Field(default=30, ge=0, lt=10_000)
    fx_fee_bps: int = Field(default=10, ge=0, lt=10_000)
    fx_fee_min: str = "1.00"
    """The minimum fee in CNH (a decimal string, whole fen)."""

    fx_quote_ttl_s: float = Field(default=30.0, gt=0)
    fx_max_quote_ttl_s: float = Field(default=120.0, gt=0)

    fx_exposure_limits: str = "USD=1000000.00,HKD=8000000.00,EUR=1000000.00"
    """Maximum net open position per payout currency (payout sold by executed, unreversed
    conversions); a currency not listed has a limit of zero."""

    @field_validator("fx_seed_rates")
    @classmethod
    def _seed(cls, value: str) -> str:
        parse_seed(value)
        return value

    @field_validator("fx_review_windows")
    @classmethod
    def _windows(cls, value: str) -> str:
        parse_windows(value)
        return value

    @field_validator("fx_fee_min")
    @classmethod
    def _fee_min(cls, value: str) -> str:
        _whole_minor(value, PAR_CURRENCY)
        return value

    @field_validator("fx_exposure_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        parse_limits(value)
        return value

    @property
    def pricing_terms(self) -> PricingTerms:
        return PricingTerms(
            spread_bps=self.fx_spread_bps,
            fee_bps=self.fx_fee_bps,
            fee_min_minor=_whole_minor(self.fx_fee_min, PAR_CURRENCY),
        )

    @property
    def rate_bounds(self) -> RateBounds:
        return RateBounds(
            max_jump_bps=self.fx_rate_max_jump_bps,
            max_future_s=self.fx_rate_max_future_s,
            max_age_s=self.fx_max_rate_age_s,
        )

    @property
    def review_windows(self) -> tuple[ReviewWindow, ...]:
        return parse_windows(self.fx_review_windows)

    @property
    def exposure_limits(self) -> dict[str, int]:
        return parse_limits(self.fx_exposure_limits)

    @property
    def terms(self) -> FxTerms:
        """What the use cases apply, parsed once."""
        return FxTerms(
            pricing=self.pricing_terms,
            rate_bounds=self.rate_bounds,
            review_windows=self.review_windows,
            max_rate_age_s=self.fx_max_rate_age_s,
            quote_ttl_s=self.fx_quote_ttl_s,
            max_quote_ttl_s=self.fx_max_quote_ttl_s,
            exposure_limits=self.exposure_limits,
        )


_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,6})?", re.ASCII)


def _whole_minor(text: str, currency: str) -> int:
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain decimal amount")
    money, remainder = Money.from_decimal(Decimal(text), currency)
    if remainder:
        raise ValueError(f"{text} is not a whole number of {currency} minor units")
    return money.amount_minor


def parse_limits(text: str) -> dict[str, int]:
    """`"USD=1000000.00,HKD=8000000"` -> minor units per currency."""
    limits: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        currency, sep, amount = item.partition("=")
        currency = currency.strip()
        if not sep or currency not in EXPONENTS:
            raise ValueError(f"exposure limit {item!r}: expected CURRENCY=AMOUNT")
        limits[currency] = _whole_minor(amount.strip(), currency)
    return limits
