"""The states a use-case test starts from, reached the way production reaches them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from schemas.fx import QuoteIssued, RequestQuote
from services.fx.domain.rates import BookEntry, BookRate
from services.fx.use_cases.quotes import request_quote
from tests.support.money import cnh
from tests.unit.fx.fakes import FxFakeWork


def given_book(work: FxFakeWork, per_cnh: str = "0.1389", age_s: float = 0) -> None:
    """USD in the book at `per_cnh`, as of `age_s` ago."""
    as_of = work.now() - dt.timedelta(seconds=age_s)
    work.rates.book["USD"] = BookEntry(BookRate("USD", Decimal(per_cnh), as_of), 7)


async def given_quote(
    work: FxFakeWork, redemption_id: uuid.UUID, sell: str = "1000.00"
) -> QuoteIssued:
    """A USD quote issued for the redemption by RequestQuote itself."""
    given_book(work)
    issued = await request_quote(
        work, RequestQuote(redemption_id=redemption_id, sell=cnh(sell), buy_currency="USD")
    )
    assert isinstance(issued, QuoteIssued)
    work.next_message()
    return issued
