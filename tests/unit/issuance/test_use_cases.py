"""Issuance's verbs as sequence diagrams, without servers: given what the fakes hold (told
by the facts' own verbs, as KYC and settlement would tell them), when a command's verb
runs, expect its reply, what it published, and the state it left behind."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.issuance import (
    Burned,
    BurnHeld,
    BurnRejected,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
    Minted,
    MintForDeposit,
    MintRejected,
    PlaceHold,
    ReleaseHold,
    ReleaseRejected,
)
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
from schemas.money import Money, par_cnh
from schemas.settlement import DepositMatched, DepositRefunded, ReserveMoved
from services.issuance.domain.holds import HoldState
from services.issuance.domain.ledger import (
    ISSUER_BURNED,
    ISSUER_MINTED,
    burn_id,
    hold_account,
    hold_id,
    mint_id,
    wallet_account,
)
from services.issuance.use_cases.holds import burn_held, place_hold, release_hold
from services.issuance.use_cases.kyc_view import (
    customer_frozen,
    customer_referred,
    customer_rejected,
    customer_unfrozen,
    customer_verified,
    wallet_frozen,
    wallet_registered,
    wallet_unfrozen,
)
from services.issuance.use_cases.mints import mint_for_deposit
from services.issuance.use_cases.settlement_view import (
    deposit_matched,
    deposit_refunded,
    reserve_moved,
)
from tests.support.money import cnh, tokens
from tests.support.work import Published
from tests.unit.issuance.fakes import IssuanceFakeWork

CUSTOMER, OTHER, WALLET = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
WALLET_ACCOUNT = wallet_account(WALLET)
ADDRESS = to_checksum_address("0x" + WALLET.hex + WALLET.hex[:8])
TEN = tokens("10")
EVENTS = "issuance.events"


# --- given: what KYC and settlement told, what was minted and held --------------------------


async def onboarded(work: IssuanceFakeWork, customer: uuid.UUID = CUSTOMER) -> None:
    await customer_verified(
        work, CustomerVerified(customer_id=customer, tier="standard", due_diligence="standard")
    )
    await wallet_registered(
        work,
        WalletRegistered(
            customer_id=customer, wallet_id=WALLET, address=ADDRESS,
            deposit_reference="CNH-" + WALLET.hex[:10].upper(), proof_of_control="verified",
        ),
    )  # fmt: skip


async def deposit_told(work: IssuanceFakeWork, *, credited: bool = True) -> uuid.UUID:
    """Settlement's facts of a deposit of 10 CNH: its reserve credit, its match to WALLET."""
    deposit_id = uuid.uuid4()
    if credited:
        await reserve_moved(
            work,
            ReserveMoved(
                entry_id=uuid.uuid4(), direction="in", amount=cnh("10"),
                cause="deposit_matched", deposit_id=deposit_id, redemption_id=None,
            ),
        )  # fmt: skip
    await deposit_matched(
        work,
        DepositMatched(
            deposit_id=deposit_id, customer_id=CUSTOMER, wallet_id=WALLET, amount=cnh("10"),
            tokens=TEN,
        ),
    )  # fmt: skip
    return deposit_id


def mint_command(deposit_id: uuid.UUID, amount: Money = TEN) -> MintForDeposit:
    return MintForDeposit(
        deposit_id=deposit_id, customer_id=CUSTOMER, wallet_id=WALLET, amount=amount,
        reserve_balance=par_cnh(amount),
    )  # fmt: skip


async def minted_ten() -> IssuanceFakeWork:
    work = IssuanceFakeWork()
    await onboarded(work)
    assert isinstance(await mint_for_deposit(work, mint_command(await deposit_told(work))), Minted)
    work.next_message()
    return work


async def held(work: IssuanceFakeWork) -> uuid.UUID:
    """Four of its tokens held for a new redemption."""
    redemption_id = uuid.uuid4()
    cmd = PlaceHold(redemption_id=redemption_id, wallet_id=WALLET, amount=tokens("4"))
    assert isinstance(await place_hold(work, cmd), HoldPlaced)
    work.next_message()
    return redemption_id


def last_decision(work: IssuanceFakeWork) -> tuple[str, str | None, str]:
    decision, instance = work.decisions.log[-1]
    assert decision.command_id == work.message_id
    return decision.outcome, decision.reason, instance


# --- mints ----------------------------------------------------------------------------------


async def test_a_mint_for_a_told_deposit_credits_the_wallet_and_tells_of_it() -> None:
    work = IssuanceFakeWork()
    await onboarded(work)
    deposit_id = await deposit_told(work)

    reply = await mint_for_deposit(work, mint_command(deposit_id))

    assert isinstance(reply, Minted)
    assert (reply.mint_id, reply.amount, reply.supply_after) == (mint_id(deposit_id), TEN, TEN)
    assert work.published == [Published(EVENTS, str(WALLET), reply)]
    assert work.accounts.balance[WALLET_ACCOUNT] == TEN.amount_minor
    assert work.accounts.balance[ISSUER_MINTED] == -TEN.amount_minor
    assert work.mints.reserve_seen[deposit_id] == cnh("10").amount_minor
    assert last_decision(work) == ("issuance.minted", None, "test-0")


async def test_a_second_mint_command_for_a_deposit_gets_the_first_outcome_and_mints_nothing() -> (
    None
):
    work = IssuanceFakeWork()
    await onboarded(work)
    cmd = mint_command(await deposit_told(work))
    first = await mint_for_deposit(work, cmd)
    work.next_message()

    again = await mint_for_deposit(work, cmd)

    assert again == first
    assert work.published == []
    assert work.accounts.balance[WALLET_ACCOUNT] == TEN.amount_minor
    assert len(work.accounts.journal) == 1


Given = Callable[[IssuanceFakeWork], Awaitable[MintForDeposit]]


async def _unknown_deposit(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    return mint_command(uuid.uuid4())


async def _refunded(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    deposit_id = await deposit_told(work)
    await deposit_refunded(
        work,
        DepositRefunded(
            deposit_id=deposit_id, payout_id=uuid.uuid4(), amount=cnh("10"),
            bank_reference="REF1",
        ),
    )  # fmt: skip
    return mint_command(deposit_id)


async def _other_amount(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    return mint_command(await deposit_told(work), tokens("11"))


async def _unregistered(work: IssuanceFakeWork) -> MintForDeposit:
    return mint_command(await deposit_told(work))


async def _someone_elses_wallet(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work, customer=OTHER)
    return mint_command(await deposit_told(work))


async def _referred(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    await customer_referred(work, CustomerReferred(customer_id=CUSTOMER, reason="possible_match"))
    return mint_command(await deposit_told(work))


async def _customer_frozen(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    await customer_frozen(work, CustomerFrozen(customer_id=CUSTOMER, reason="court_order"))
    return mint_command(await deposit_told(work))


async def _wallet_frozen(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    await wallet_frozen(
        work, WalletFrozen(customer_id=CUSTOMER, wallet_id=WALLET, reason="stolen_key")
    )
    return mint_command(await deposit_told(work))


async def _rejected(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    await customer_rejected(work, CustomerRejected(customer_id=CUSTOMER, reason="sanctioned"))
    return mint_command(await deposit_told(work))


async def _not_credited(work: IssuanceFakeWork) -> MintForDeposit:
    await onboarded(work)
    return mint_command(await deposit_told(work, credited=False))


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (_unknown_deposit, "unknown_deposit"),
        (_refunded, "deposit_refunded"),
        (_other_amount, "deposit_mismatch"),
        (_unregistered, "unknown_wallet"),
        (_someone_elses_wallet, "wallet_not_theirs"),
        (_referred, "customer_not_verified"),
        (_rejected, "customer_not_verified"),
        (_customer_frozen, "customer_frozen"),
        (_wallet_frozen, "wallet_frozen"),
        (_not_credited, "reserve_shortfall"),
    ],
)
async def test_a_mint_is_refused_with_its_reason_and_moves_nothing(
    given: Given, reason: str
) -> None:
    work = IssuanceFakeWork()
    cmd = await given(work)

    reply = await mint_for_deposit(work, cmd)

    assert isinstance(reply, MintRejected)
    assert (reply.deposit_id, reply.reason) == (cmd.deposit_id, reason)
    assert work.published == []
    assert work.accounts.journal == []
    assert work.mints.made == {}
    assert last_decision(work) == ("issuance.mint_rejected", reason, "test-0")


async def test_an_unfrozen_customer_and_wallet_may_be_minted_to_again() -> None:
    work = IssuanceFakeWork()
    await onboarded(work)
    await customer_frozen(work, CustomerFrozen(customer_id=CUSTOMER, reason="court_order"))
    await wallet_frozen(
        work, WalletFrozen(customer_id=CUSTOMER, wallet_id=WALLET, reason="stolen_key")
    )
    await customer_unfrozen(work, CustomerUnfrozen(customer_id=CUSTOMER))
    await wallet_unfrozen(work, WalletUnfrozen(customer_id=CUSTOMER, wallet_id=WALLET))

    reply = await mint_for_deposit(work, mint_command(await deposit_told(work)))

    assert isinstance(reply, Minted)
    assert work.accounts.balance[WALLET_ACCOUNT] == TEN.amount_minor


# --- holds ----------------------------------------------------------------------------------


async def test_a_hold_moves_tokens_from_the_wallet_to_the_redemptions_hold() -> None:
    work = await minted_ten()
    redemption_id = uuid.uuid4()

    reply = await place_hold(
        work, PlaceHold(redemption_id=redemption_id, wallet_id=WALLET, amount=tokens("4"))
    )

    assert isinstance(reply, HoldPlaced)
    assert (reply.hold_id, reply.amount) == (hold_id(redemption_id), tokens("4"))
    assert work.published == [Published(EVENTS, str(WALLET), reply)]
    assert work.accounts.balance[WALLET_ACCOUNT] == tokens("6").amount_minor
    assert work.accounts.balance[hold_account(hold_id(redemption_id))] == tokens("4").amount_minor
    assert work.holds.placed[redemption_id].state is HoldState.PLACED
    assert last_decision(work) == ("issuance.hold_placed", None, "test-0")


async def test_the_same_hold_asked_again_is_answered_again_and_holds_once() -> None:
    work = await minted_ten()
    redemption_id = await held(work)

    again = await place_hold(
        work, PlaceHold(redemption_id=redemption_id, wallet_id=WALLET, amount=tokens("4"))
    )

    assert isinstance(again, HoldPlaced)
    assert again.hold_id == hold_id(redemption_id)
    assert work.published == []
    assert work.accounts.balance[WALLET_ACCOUNT] == tokens("6").amount_minor


async def test_a_hold_is_refused_with_its_reason_and_moves_nothing() -> None:
    work = await minted_ten()
    redemption_id = await held(work)
    released_first = uuid.uuid4()
    await release_hold(work, ReleaseHold(redemption_id=released_first))
    work.next_message()
    journal = list(work.accounts.journal)
    cases: list[tuple[PlaceHold, str]] = [
        (PlaceHold(redemption_id=uuid.uuid4(), wallet_id=WALLET, amount=tokens("7")),
         "insufficient_balance"),
        (PlaceHold(redemption_id=uuid.uuid4(), wallet_id=uuid.uuid4(), amount=tokens("1")),
         "unknown_wallet"),
        (PlaceHold(redemption_id=redemption_id, wallet_id=WALLET, amount=tokens("5")),
         "duplicate_redemption"),
        (PlaceHold(redemption_id=released_first, wallet_id=WALLET, amount=tokens("1")),
         "cancelled"),
    ]  # fmt: skip
    for cmd, reason in cases:
        reply = await place_hold(work, cmd)
        assert isinstance(reply, HoldRejected)
        assert (reply.redemption_id, reply.reason) == (cmd.redemption_id, reason)
        assert last_decision(work) == ("issuance.hold_rejected", reason, "test-0")
    assert work.published == []
    assert work.accounts.journal == journal


async def test_no_hold_leaves_a_frozen_wallet() -> None:
    work = await minted_ten()
    await wallet_frozen(
        work, WalletFrozen(customer_id=CUSTOMER, wallet_id=WALLET, reason="stolen_key")
    )

    reply = await place_hold(
        work, PlaceHold(redemption_id=uuid.uuid4(), wallet_id=WALLET, amount=tokens("1"))
    )

    assert isinstance(reply, HoldRejected)
    assert reply.reason == "wallet_frozen"
    assert work.accounts.balance[WALLET_ACCOUNT] == TEN.amount_minor


# --- releases -------------------------------------------------------------------------------


async def test_a_release_gives_the_held_tokens_back_to_the_wallet() -> None:
    work = await minted_ten()
    redemption_id = await held(work)

    reply = await release_hold(work, ReleaseHold(redemption_id=redemption_id))

    assert isinstance(reply, HoldReleased)
    assert (reply.hold_id, reply.wallet_id, reply.amount) == (
        hold_id(redemption_id), WALLET, tokens("4"),
    )  # fmt: skip
    assert work.published == [Published(EVENTS, str(WALLET), reply)]
    assert work.accounts.balance[WALLET_ACCOUNT] == TEN.amount_minor
    assert work.accounts.balance[hold_account(hold_id(redemption_id))] == 0
    assert work.holds.placed[redemption_id].state is HoldState.RELEASED
    assert last_decision(work) == ("issuance.hold_released", None, "test-0")

    work.next_message()
    again = await release_hold(work, ReleaseHold(redemption_id=redemption_id))
    assert again == reply
    assert work.published == []


async def test_a_release_before_any_hold_records_a_cancellation_and_tells_nobody() -> None:
    work = await minted_ten()
    redemption_id = uuid.uuid4()

    reply = await release_hold(work, ReleaseHold(redemption_id=redemption_id))

    assert isinstance(reply, HoldReleased)
    assert (reply.hold_id, reply.wallet_id, reply.amount) == (None, None, None)
    assert work.published == []
    assert work.holds.placed[redemption_id].state is HoldState.CANCELLED


async def test_a_release_after_the_burn_is_refused() -> None:
    work = await minted_ten()
    redemption_id = await held(work)
    await burn_held(work, BurnHeld(redemption_id=redemption_id))
    work.next_message()

    reply = await release_hold(work, ReleaseHold(redemption_id=redemption_id))

    assert isinstance(reply, ReleaseRejected)
    assert reply.reason == "already_burned"
    assert work.published == []
    assert last_decision(work) == ("issuance.release_rejected", "already_burned", "test-0")


# --- burns ----------------------------------------------------------------------------------


async def test_a_burn_destroys_the_held_tokens_and_lowers_the_supply() -> None:
    work = await minted_ten()
    redemption_id = await held(work)

    reply = await burn_held(work, BurnHeld(redemption_id=redemption_id))

    assert isinstance(reply, Burned)
    assert (reply.burn_id, reply.wallet_id, reply.amount, reply.supply_after) == (
        burn_id(redemption_id), WALLET, tokens("4"), tokens("6"),
    )  # fmt: skip
    assert work.published == [Published(EVENTS, str(WALLET), reply)]
    assert work.accounts.balance[ISSUER_BURNED] == tokens("4").amount_minor
    assert work.accounts.balance[hold_account(hold_id(redemption_id))] == 0
    assert work.holds.placed[redemption_id].state is HoldState.BURNED
    assert last_decision(work) == ("issuance.burned", None, "test-0")

    work.next_message()
    again = await burn_held(work, BurnHeld(redemption_id=redemption_id))
    assert again == reply
    assert work.published == []
    assert work.accounts.balance[ISSUER_BURNED] == tokens("4").amount_minor


async def test_a_burn_without_a_placed_hold_is_refused_with_its_reason() -> None:
    work = await minted_ten()
    released = await held(work)
    await release_hold(work, ReleaseHold(redemption_id=released))
    work.next_message()
    journal = list(work.accounts.journal)

    for redemption_id, reason in ((uuid.uuid4(), "unknown_hold"), (released, "hold_released")):
        reply = await burn_held(work, BurnHeld(redemption_id=redemption_id))
        assert isinstance(reply, BurnRejected)
        assert (reply.redemption_id, reply.reason) == (redemption_id, reason)
        assert last_decision(work) == ("issuance.burn_rejected", reason, "test-0")
    assert work.published == []
    assert work.accounts.journal == journal


# --- a hold's life, whatever order its commands arrive in -----------------------------------

ONE_WAY = {
    None: {HoldState.PLACED, HoldState.CANCELLED},
    HoldState.PLACED: {HoldState.RELEASED, HoldState.BURNED},
}
"""Where a hold may go (DESIGN: a hold's life); released, burned and cancelled are final."""

COMMANDS = st.lists(
    st.sampled_from(["place", "place_other", "release", "burn"]), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(COMMANDS)
def test_a_hold_moves_one_way_and_never_both_burns_and_releases(sequence: list[str]) -> None:
    asyncio.run(_commands_in_order(sequence))


async def _commands_in_order(sequence: list[str]) -> None:
    work = await minted_ten()
    redemption_id = uuid.uuid4()
    told = Counter[str]()
    for command in sequence:
        before = work.holds.placed.get(redemption_id)
        await _one(work, redemption_id, command)
        after = work.holds.placed.get(redemption_id)
        if after is not None and after.state != (before.state if before else None):
            assert after.state in ONE_WAY[before.state if before else None]
        told.update(type(p.payload).__name__ for p in work.published)
        work.next_message()
    assert told["HoldPlaced"] <= 1
    assert told["Burned"] <= 1
    assert not (told["Burned"] and told["HoldReleased"])
    # tokens are conserved: the wallet's, the hold's and the burned add up to the minted ten
    final = work.holds.placed.get(redemption_id)
    burned = final.amount if final and final.state is HoldState.BURNED and final.amount else 0
    held = work.accounts.balance.get(hold_account(hold_id(redemption_id)), 0)
    assert work.accounts.balance[WALLET_ACCOUNT] + held + burned == TEN.amount_minor


async def _one(work: IssuanceFakeWork, redemption_id: uuid.UUID, command: str) -> None:
    if command.startswith("place"):
        amount = tokens("5" if command == "place" else "6")
        await place_hold(
            work, PlaceHold(redemption_id=redemption_id, wallet_id=WALLET, amount=amount)
        )
    elif command == "release":
        await release_hold(work, ReleaseHold(redemption_id=redemption_id))
    else:
        await burn_held(work, BurnHeld(redemption_id=redemption_id))
