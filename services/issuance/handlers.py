"""Issuance's entrypoints: the token commands (issuance.commands, issuance.mints), the KYC
facts its local view of customers and wallets is built from (kyc.events), and the
settlement facts its own view of deposits and of the reserve is built from
(settlement.events). Each message type maps to its use case; a command batch's `prepare`
takes its locks and reads in one order; the runtime applies a whole batch in one
transaction and replays stored replies."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from schemas import Envelope, Message
from schemas.issuance import BurnHeld, MintForDeposit, PlaceHold, ReleaseHold
from schemas.kyc import (
    CustomerFrozen,
    CustomerReferred,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    WalletFrozen,
    WalletRegistered,
    WalletUnfrozen,
)
from schemas.settlement import DepositMatched, DepositRefunded, ReserveMoved
from services.issuance.domain.ledger import wallet_account
from services.issuance.repository.balances import Balances
from services.issuance.repository.holds import Holds
from services.issuance.repository.kyc_view import Owners
from services.issuance.repository.mints import Mints
from services.issuance.repository.settlement_view import Deposits, Reserve
from services.issuance.repository.work import SqlWork
from services.issuance.use_cases import kyc_view, settlement_view
from services.issuance.use_cases.holds import burn_held, place_hold, release_hold
from services.issuance.use_cases.mints import mint_for_deposit
from services.issuance.use_cases.work import Terms
from services.runtime.handlers import HandlerContext, Subscription
from services.runtime.unit_of_work import UnitOfWork
from services.runtime.work import handler

Works = Callable[[HandlerContext[Any]], SqlWork]


def subscriptions(instance: str, deposit_wait_s: float = 0.5) -> list[Subscription]:
    """The four topics issuance consumes: the saga's commands and settlement's mint
    commands apart (each topic has one writer, so the saga cannot mint and settlement
    cannot hold, release or burn), KYC's facts and settlement's. `instance` names this
    replica in the decision log; a mint batch waits up to `deposit_wait_s` for the facts of
    its deposits."""
    terms = Terms(instance, deposit_wait_s)
    work: Works = functools.partial(SqlWork, terms=terms)
    return [
        _commands("issuance.commands", _HOLD_COMMANDS, terms, work),
        _commands("issuance.mints", (MintForDeposit,), terms, work),
        _kyc_view(work),
        _settlement_view(work),
    ]


_HOLD_COMMANDS = (PlaceHold, ReleaseHold, BurnHeld)
_VERBS: dict[type[Message], Any] = {
    MintForDeposit: mint_for_deposit,
    PlaceHold: place_hold,
    ReleaseHold: release_hold,
    BurnHeld: burn_held,
}


def _commands(
    topic: str, kinds: Sequence[type[Message]], terms: Terms, work: Works
) -> Subscription:
    """The commands of `kinds` on `topic`; any other type there is dead-lettered (with a
    rejection to its sender) as a type this topic does not carry."""
    commands = Subscription(topic)
    commands.prepare = functools.partial(_lock_in_order, deposit_wait_s=terms.deposit_wait_s)
    for kind in kinds:
        commands.handles(kind)(handler(_VERBS[kind], work))
    return commands


async def _lock_in_order(
    uow: UnitOfWork, batch: Sequence[Envelope[Any]], *, deposit_wait_s: float
) -> None:
    # Mints (one key, one partition) and holds (keyed by wallet) of one wallet may be
    # applied by two replicas at once: every batch takes the issuer's totals first, then
    # the reserve, then its wallets in account order, so no two batches wait on each
    # other in a cycle (the facts' batches take the reserve alone).
    payloads = [m.payload for m in batch]
    deposits = [p.deposit_id for p in payloads if isinstance(p, MintForDeposit)]
    if deposits:
        # a deposit's fact and its mint are sent together on two topics: give the fact
        # a moment, before any lock, rather than refuse a mint settlement must retry
        known = uow.staged(Deposits)
        await known.wait_for(deposits, deposit_wait_s)
        await known.rows.load(deposits)
    balances = uow.staged(Balances)
    if any(isinstance(p, (MintForDeposit, BurnHeld)) for p in payloads):
        await balances.issuer()
    if deposits:
        # read after the issuer's lock, which every mint takes: a rival's mint of the
        # same deposit is committed by then and seen, never a supply that counts it
        # beside a list of mints that does not
        await uow.staged(Mints).rows.load(deposits)
        await uow.staged(Reserve).balance()
    wallets = [p.wallet_id for p in payloads if isinstance(p, (MintForDeposit, PlaceHold))]
    if wallets:
        await balances.lock(wallet_account(w) for w in wallets)
        await uow.staged(Owners).rows.load(wallets)
    held = [p.redemption_id for p in payloads if isinstance(p, _HOLD_COMMANDS)]
    if held:
        await uow.staged(Holds).locked.load(held)


def _kyc_view(work: Works) -> Subscription:
    events = Subscription("kyc.events")
    for kind, verb in (
        (CustomerVerified, kyc_view.customer_verified),
        (CustomerRejected, kyc_view.customer_rejected),
        (CustomerReferred, kyc_view.customer_referred),
        (CustomerFrozen, kyc_view.customer_frozen),
        (CustomerUnfrozen, kyc_view.customer_unfrozen),
        (WalletRegistered, kyc_view.wallet_registered),
        (WalletFrozen, kyc_view.wallet_frozen),
        (WalletUnfrozen, kyc_view.wallet_unfrozen),
    ):
        events.handles(kind)(handler(verb, work))
    events.ignore_the_rest()
    return events


def _settlement_view(work: Works) -> Subscription:
    events = Subscription("settlement.events")
    events.handles(ReserveMoved)(handler(settlement_view.reserve_moved, work))
    events.handles(DepositMatched)(handler(settlement_view.deposit_matched, work))
    events.handles(DepositRefunded)(handler(settlement_view.deposit_refunded, work))
    events.ignore_the_rest()
    return events
