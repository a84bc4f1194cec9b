"""FX's entrypoints: reference rates in, quote / execute / reverse commands answered, each by
its use case (use_cases/) on the SQL unit of work (repository/work.py).

Business refusals are typed replies, never exceptions: the runtime stores them in the inbox,
so a command refused once stays refused under its id.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from schemas import Envelope
from schemas.fx import ExecuteConversion, ReferenceRate, RequestQuote, ReverseConversion
from services.fx.repository.conversions import RedemptionLocks
from services.fx.repository.positions import Positions
from services.fx.repository.work import SqlWork
from services.fx.use_cases.conversions import execute_conversion, reverse_conversion
from services.fx.use_cases.quotes import request_quote
from services.fx.use_cases.rates import take_reference_rate
from services.fx.use_cases.work import FxTerms
from services.runtime.handlers import Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import handler


def build_subscriptions(terms: FxTerms) -> list[Subscription]:
    work = functools.partial(SqlWork, terms=terms)
    rates = Subscription("fx.rates")
    rates.handles(ReferenceRate)(handler(take_reference_rate, work))
    commands = Subscription("fx.commands")
    commands.handles(RequestQuote)(handler(request_quote, work))
    commands.handles(ExecuteConversion)(handler(execute_conversion, work))
    commands.handles(ReverseConversion)(handler(reverse_conversion, work))
    commands.prepare = lock_in_order
    return [rates, commands]


async def lock_in_order(uow: UnitOfWork, batch: Sequence[Envelope[Any]]) -> None:
    # the positions, then the redemptions: two replicas' batches never wait in a cycle
    converting = [
        m.payload.redemption_id
        for m in batch
        if isinstance(m.payload, (ExecuteConversion, ReverseConversion))
    ]
    if converting:
        await Positions(uow.connection).lock_all()
        await uow.staged(RedemptionLocks).lock(converting)
