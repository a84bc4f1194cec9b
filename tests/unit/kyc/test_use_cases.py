"""KYC's verbs as sequence diagrams, without servers: given what the fakes hold (reached
through the verbs themselves: a list loaded by `load_list`, a customer onboarded by
`onboard`), when a verb runs, expect its reply, what it published, and the state it left."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable

import pytest

from clients.wallet import Wallet
from schemas import Rejected, derive_id
from schemas.kyc import (
    BankAccountRefused,
    BankAccountVerified,
    CorporateParticulars,
    CustomerFrozen,
    CustomerReferred,
    CustomerRejected,
    CustomerUnfrozen,
    CustomerVerified,
    Eligible,
    Ineligible,
    PostalAddress,
    ReleaseReservation,
    ReservationReleased,
    WalletFrozen,
    WalletRegistered,
    sealed_application,
)
from schemas.settlement import (
    BankAccount,
    CheckBankAccount,
    account_check_context,
)
from services.kyc import pii
from services.kyc.crypto import KeyRing
from services.kyc.domain.lists import UnknownVersion
from services.kyc.list_files import read_list
from services.kyc.use_cases.bank_accounts import (
    account_check_rejected,
    bank_account_checked,
    register_bank_account,
)
from services.kyc.use_cases.eligibility import check_eligibility, release_reservation
from services.kyc.use_cases.onboarding import onboard
from services.kyc.use_cases.operators import (
    DecideReview,
    FreezeCustomer,
    FreezeWallet,
    NotFound,
    decide_review,
    freeze_customer,
    freeze_wallet,
)
from services.kyc.use_cases.records import Reencrypt, reencrypt
from services.kyc.use_cases.sanctions import (
    ActivateList,
    LoadList,
    RescreenStale,
    activate_list,
    load_list,
    rescreen_stale,
)
from services.kyc.use_cases.wallets import register_wallet
from services.runtime.retry import TransientError, kind_of
from tests.support.sealing import throwaway
from tests.support.work import T0
from tests.unit.kyc.fakes import KycFakeWork
from tests.unit.kyc.givens import (
    FIXTURES,
    UN_SAMPLE,
    account,
    bank_answer,
    check,
    onboarded,
    person,
    redeemer,
    registration,
)

UN_UPDATE = read_list([FIXTURES / "un_consolidated_update.xml"])
EVENTS = "kyc.events"
VIKTOR = ("Viktor Anselm Krallenberg", dt.date(1968, 4, 12), "PA")
"""On the UN sample list (invented): as himself, a definite hit."""
OSKAR = ("Oskar Lindqvist Haralde", dt.date(1981, 9, 23), "NO")
"""Clear on the UN sample list, listed by its update."""


# --- onboarding ------------------------------------------------------------------------------


async def test_a_clear_applicant_is_verified_at_the_tier_of_their_evidence(
    work: KycFakeWork,
) -> None:
    app = person()

    await onboard(work, app)

    assert work.payloads() == [
        CustomerVerified(customer_id=app.customer_id, tier="standard", due_diligence="standard")
    ]
    customer = work.customers.known[app.customer_id]
    assert (customer.status, customer.tier, customer.kind) == ("verified", "standard", "individual")
    # kept encrypted at rest, under the ring's active key
    assert customer.particulars.key_id == work.terms.keyring.active_key_id
    particulars = pii.particulars_of(work.terms.keyring, customer)
    assert pii.account_holder_names(particulars) == ("Alice Wong",)
    assert work.screenings.against(app.customer_id) == (await work.lists.active())[0].version
    assert work.history.actions() == ["application_verified"]


async def test_a_listed_applicant_is_rejected_and_marked_sanctioned(work: KycFakeWork) -> None:
    app = person(*VIKTOR)

    await onboard(work, app)

    assert work.payloads() == [
        CustomerRejected(customer_id=app.customer_id, reason="sanctions_match")
    ]
    assert work.customers.known[app.customer_id].sanctioned


async def test_a_possible_match_is_referred_to_review(work: KycFakeWork) -> None:
    name, _, nationality = VIKTOR  # another birth year: a possible match only
    app = person(name, dt.date(1990, 5, 17), nationality)

    await onboard(work, app)

    assert work.payloads() == [
        CustomerReferred(customer_id=app.customer_id, reason="possible_sanctions_match")
    ]


async def test_an_impossible_birth_date_is_rejected(work: KycFakeWork) -> None:
    app = person(born=(T0 + dt.timedelta(days=2)).date())

    await onboard(work, app)

    assert work.payloads() == [
        CustomerRejected(customer_id=app.customer_id, reason="date_of_birth_in_future")
    ]


async def test_a_company_is_screened_under_its_names(work: KycFakeWork) -> None:
    particulars = CorporateParticulars(
        legal_name="Harbour Lantern Foods Limited",
        registration_number="HK-778899",
        date_of_incorporation=dt.date(2011, 3, 1),
        country_of_incorporation="HK",
        registered_address=PostalAddress(lines=("1 Connaught Place",), city="HK", country="HK"),
    )
    app = sealed_application(throwaway("kyc").current, uuid.uuid4(), "enhanced", particulars)

    await onboard(work, app)

    assert work.payloads() == [
        CustomerVerified(customer_id=app.customer_id, tier="enhanced", due_diligence="enhanced")
    ]
    assert work.customers.known[app.customer_id].kind == "corporate"


async def test_a_second_application_for_a_customer_changes_nothing(work: KycFakeWork) -> None:
    app = person()
    await onboarded(work, app)
    before = work.customers.known[app.customer_id]

    await onboard(work, person(*VIKTOR).model_copy(update={"customer_id": app.customer_id}))

    assert work.published == []
    assert work.customers.known[app.customer_id] == before
    assert work.history.actions()[-1] == "application_ignored"


async def test_before_any_list_is_loaded_an_application_waits_transiently() -> None:
    work = KycFakeWork()  # no list loaded yet

    with pytest.raises(TransientError, match="no sanctions list is loaded yet") as raised:
        await onboard(work, person())

    assert kind_of(raised.value) == "transient"  # retried with backoff, never dead-lettered
    assert work.customers.known == {}
    assert work.published == []


# --- wallets ---------------------------------------------------------------------------------


async def test_a_signed_registration_proves_control_of_the_wallet(work: KycFakeWork) -> None:
    customer_id, key = await onboarded(work), Wallet()
    command = registration(customer_id, key)

    await register_wallet(work, command)

    [registered] = work.payloads(WalletRegistered)
    assert isinstance(registered, WalletRegistered)
    assert (registered.address, registered.proof_of_control) == (key.address, "verified")
    assert registered.deposit_reference.startswith("CNH-")
    assert work.wallets.known[command.wallet_id].proof_of_control == "verified"
    assert work.wallets.proofs[command.wallet_id] == command.signature
    assert work.history.entries[-1].reason == "proof_verified"


async def test_an_unsigned_wallet_is_pending_until_registered_again_with_a_signature(
    work: KycFakeWork,
) -> None:
    customer_id, key = await onboarded(work), Wallet()
    unsigned = registration(customer_id, key, signed=False)
    await register_wallet(work, unsigned)
    [pending] = work.payloads(WalletRegistered)
    work.next_message()
    signed = unsigned.model_copy(
        update={"signature": key.prove_control(customer_id, unsigned.wallet_id)}
    )

    await register_wallet(work, signed)

    [verified] = work.payloads(WalletRegistered)
    assert isinstance(pending, WalletRegistered)
    assert isinstance(verified, WalletRegistered)
    assert (pending.proof_of_control, verified.proof_of_control) == ("pending", "verified")
    assert verified.deposit_reference == pending.deposit_reference


async def test_a_re_sent_registration_changes_nothing(work: KycFakeWork) -> None:
    command = registration(await onboarded(work), Wallet())
    await register_wallet(work, command)
    work.next_message()

    await register_wallet(work, command)

    assert work.published == []


@pytest.mark.parametrize("case", ["address_malformed", "unknown_customer", "wallet_conflict",
                                  "address_in_use"])  # fmt: skip
async def test_a_wallet_registration_is_refused(work: KycFakeWork, case: str) -> None:
    customer_id, key = await onboarded(work), Wallet()
    command = registration(customer_id, key)
    if case == "address_malformed":
        command = command.model_copy(update={"address": key.address.lower()})
    if case == "unknown_customer":
        command = registration(uuid.uuid4(), key)
    if case in ("wallet_conflict", "address_in_use"):
        await register_wallet(work, command)
        work.next_message()
        other = Wallet() if case == "wallet_conflict" else key
        again = registration(customer_id, other)
        command = again.model_copy(
            update={"wallet_id": command.wallet_id} if case == "wallet_conflict" else {}
        )
    before = dict(work.wallets.known)

    await register_wallet(work, command)

    assert work.published == []
    assert work.wallets.known == before
    assert (work.history.entries[-1].action, work.history.entries[-1].reason) == (
        "wallet_refused",
        case,
    )


# --- bank accounts ---------------------------------------------------------------------------


async def test_the_customer_s_own_account_is_sent_to_the_bank_s_check(work: KycFakeWork) -> None:
    customer_id = await onboarded(work)
    command = account(customer_id, holder="WONG, Alice")

    await register_bank_account(work, command)

    [sent] = work.published
    assert (sent.topic, sent.key, sent.reply_to) == (
        "settlement.account-checks",
        str(command.account_id),
        "kyc.replies",
    )
    # settlement's Rejected of the check names the account only by its correlation
    assert sent.correlation_id == command.account_id
    assert sent.message_id == derive_id(command.account_id, "kyc", "check_bank_account")
    assert isinstance(sent.payload, CheckBankAccount)
    opened = throwaway("settlement").open(
        sent.payload.account, BankAccount, account_check_context(customer_id, command.account_id)
    )
    assert opened.holder_name == "WONG, Alice"
    assert work.accounts.known[command.account_id].state == "checking"


@pytest.mark.parametrize("result", ["match", "mismatch", "not_found", "closed"])
async def test_the_bank_s_answer_verifies_or_refuses_the_account(
    work: KycFakeWork, result: str
) -> None:
    customer_id = await onboarded(work)
    command = account(customer_id)
    await register_bank_account(work, command)
    work.next_message()

    await bank_account_checked(work, bank_answer(command, result))

    expected = (
        BankAccountVerified(customer_id=customer_id, account_id=command.account_id)
        if result == "match"
        else BankAccountRefused(
            customer_id=customer_id,
            account_id=command.account_id,
            reason=f"bank_{'name_mismatch' if result == 'mismatch' else 'account_' + result}",  # type: ignore[arg-type]
        )
    )
    assert work.payloads() == [expected]
    assert work.accounts.bank_results[command.account_id] == result
    work.next_message()
    await bank_account_checked(work, bank_answer(command, "match"))  # a duplicate answer
    assert work.published == []


async def test_a_check_settlement_could_not_read_refuses_the_account(work: KycFakeWork) -> None:
    customer_id = await onboarded(work)
    command = account(customer_id)
    await register_bank_account(work, command)
    work.next_message()
    work.correlation_id = command.account_id  # as the check was sent

    await account_check_rejected(
        work, Rejected(reason="invalid_payload", detail="the account did not open")
    )

    assert work.payloads() == [
        BankAccountRefused(
            customer_id=customer_id, account_id=command.account_id, reason="check_failed"
        )
    ]


async def test_an_answer_for_an_account_never_registered_changes_nothing(
    work: KycFakeWork,
) -> None:
    await bank_account_checked(work, bank_answer(account(uuid.uuid4()), "match"))

    assert work.published == []


async def test_another_holder_name_is_refused_and_kept(work: KycFakeWork) -> None:
    customer_id = await onboarded(work)
    command = account(customer_id, holder="Mallory Chan")

    await register_bank_account(work, command)

    assert work.payloads() == [
        BankAccountRefused(
            customer_id=customer_id, account_id=command.account_id, reason="name_mismatch"
        )
    ]
    assert work.accounts.known[command.account_id].state == "refused"


@pytest.mark.parametrize("case", ["unknown_customer", "unreadable", "account_conflict"])
async def test_a_registration_refused_before_the_bank_is_asked(
    work: KycFakeWork, case: str
) -> None:
    customer_id = await onboarded(work)
    command = account(customer_id if case != "unknown_customer" else uuid.uuid4())
    if case == "unreadable":  # sealed for another account id: it does not open
        command = command.model_copy(update={"account_id": uuid.uuid4()})
    if case == "account_conflict":
        await register_bank_account(work, command)
        work.next_message()
        command = account(customer_id, holder="Alice  Wong", account_id=command.account_id)
    before = dict(work.accounts.known)

    await register_bank_account(work, command)

    [refused] = work.payloads()
    assert isinstance(refused, BankAccountRefused)
    assert refused.reason == case
    assert work.accounts.known == before


async def test_a_repeated_registration_changes_nothing(work: KycFakeWork) -> None:
    command = account(await onboarded(work))
    await register_bank_account(work, command)
    work.next_message()

    await register_bank_account(work, command)

    assert work.published == []


# --- eligibility and its compensation --------------------------------------------------------


async def test_an_eligible_redemption_reserves_its_amount(work: KycFakeWork) -> None:
    who = await redeemer(work)
    command = check(who, 4_000)

    reply = await check_eligibility(work, command)

    reservation = derive_id(command.redemption_id, "kyc", "reservation")
    assert reply == Eligible(
        redemption_id=command.redemption_id, reservation_id=reservation, tier="basic"
    )
    assert work.checks.decided[command.redemption_id].outcome == "reserved"
    assert work.published == []  # the runtime sends the reply


async def test_a_check_asked_again_gets_the_samebank_answer(work: KycFakeWork) -> None:
    who = await redeemer(work)
    command = check(who, 4_000)
    first = await check_eligibility(work, command)
    work.next_message()

    assert await check_eligibility(work, command) == first
    assert len(work.checks.decided) == 1


async def test_the_rolling_limit_counts_the_live_reservations(work: KycFakeWork) -> None:
    who = await redeemer(work)  # basic: 10,000 tokens per 24 hours
    for _ in range(2):
        assert isinstance(await check_eligibility(work, check(who, 4_000)), Eligible)

    reply = await check_eligibility(work, check(who, 4_000))

    assert isinstance(reply, Ineligible)
    assert reply.reason == "over_daily_limit"
    assert work.checks.decided[reply.redemption_id].outcome == "refused"


@pytest.mark.parametrize(
    "case", ["signature_invalid", "wallet_not_theirs", "customer_frozen", "over_transaction_limit"]
)
async def test_a_check_is_refused_for_the_first_rule_it_fails(work: KycFakeWork, case: str) -> None:
    who = await redeemer(work)
    command = check(who, 6_000 if case == "over_transaction_limit" else 100)
    if case == "signature_invalid":
        command = check(who, 100, signer=Wallet())
    if case == "wallet_not_theirs":
        command = command.model_copy(update={"wallet_id": uuid.uuid4()})
    if case == "customer_frozen":
        await freeze_customer(work, FreezeCustomer(who.customer_id, True, "court_order", "ops"))

    reply = await check_eligibility(work, command)

    assert isinstance(reply, Ineligible)
    assert reply.reason == case


async def test_a_release_frees_the_reservation(work: KycFakeWork) -> None:
    who = await redeemer(work)
    first = check(who, 5_000)  # basic: 5,000 a redemption, 10,000 a day
    eligible = await check_eligibility(work, first)
    assert isinstance(eligible, Eligible)
    await check_eligibility(work, check(who, 5_000))

    reply = await release_reservation(work, ReleaseReservation(redemption_id=first.redemption_id))

    assert reply == ReservationReleased(
        redemption_id=first.redemption_id, reservation_id=eligible.reservation_id
    )
    assert work.checks.decided[first.redemption_id].outcome == "released"
    assert isinstance(await check_eligibility(work, check(who, 5_000)), Eligible)


async def test_a_release_before_its_check_cancels_the_redemption(work: KycFakeWork) -> None:
    who = await redeemer(work)
    command = check(who, 100)

    released = await release_reservation(
        work, ReleaseReservation(redemption_id=command.redemption_id)
    )
    late = await check_eligibility(work, command)

    assert released == ReservationReleased(redemption_id=command.redemption_id, reservation_id=None)
    assert isinstance(late, Ineligible)
    assert late.reason == "cancelled"


async def lost_race(*args: object) -> bool:
    """A repository's insert that found a row a concurrent transaction committed."""
    return False


@pytest.mark.parametrize("verb", ["onboard", "register_bank_account", "check_eligibility",
                                  "release_reservation"])  # fmt: skip
async def test_a_lost_race_is_retried_transiently(
    work: KycFakeWork, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    who = await redeemer(work)
    attempt: Awaitable[object]
    if verb == "onboard":
        monkeypatch.setattr(work.customers, "insert", lost_race)
        attempt = onboard(work, person())
    elif verb == "register_bank_account":
        monkeypatch.setattr(work.accounts, "insert", lost_race)
        attempt = register_bank_account(work, account(who.customer_id))
    else:
        monkeypatch.setattr(work.checks, "record", lost_race)
        command = check(who, 100)
        attempt = (
            check_eligibility(work, command)
            if verb == "check_eligibility"
            else release_reservation(work, ReleaseReservation(redemption_id=command.redemption_id))
        )

    with pytest.raises(TransientError) as raised:
        await attempt
    assert kind_of(raised.value) == "transient"
    assert work.published == []


# --- sanctions lists -------------------------------------------------------------------------


async def test_a_new_list_freezes_the_verified_customers_it_lists(work: KycFakeWork) -> None:
    oskar = await onboarded(work, person(*OSKAR))
    alice = await onboarded(work)

    report = await load_list(work, LoadList(UN_UPDATE, "cli:ops"))

    assert (report.change, report.screened, report.frozen, report.rejected) == ("loaded", 2, 1, 0)
    assert work.payloads() == [CustomerFrozen(customer_id=oskar, reason="sanctions_match")]
    [frozen] = work.published
    assert frozen.message_id == derive_id(work.message_id, f"rescreen/{oskar}")
    assert work.customers.known[oskar].frozen
    assert not work.customers.known[alice].frozen
    assert work.history.entries[-1].actor == "cli:ops"
    assert work.lists.locked


async def test_the_same_list_again_changes_nothing(work: KycFakeWork) -> None:
    report = await load_list(work, LoadList(UN_SAMPLE, "cli:ops"))

    assert not report.loaded
    assert work.published == []


async def test_a_known_version_is_activated_again_and_re_screens(work: KycFakeWork) -> None:
    await load_list(work, LoadList(UN_UPDATE, "cli:ops"))
    work.next_message()
    oskar = await onboarded(work, person(*OSKAR))  # rejected under the update
    assert work.customers.known[oskar].status == "rejected"

    report = await activate_list(work, ActivateList(UN_SAMPLE.version, "cli:ops"))

    assert (report.change, report.active) == ("reactivated", (UN_SAMPLE.version,))
    with pytest.raises(UnknownVersion):
        await activate_list(work, ActivateList("un-consolidated:none", "cli:ops"))


async def test_customers_screened_against_other_lists_are_screened_again(
    work: KycFakeWork,
) -> None:
    oskar = await onboarded(work, person(*OSKAR))
    # a list change committed without re-screening anyone
    await work.lists.insert(UN_UPDATE)
    await work.lists.activate(UN_UPDATE.version, UN_SAMPLE.version)

    done = await rescreen_stale(work, RescreenStale("bootstrap"))

    assert done is not None
    assert (done.screened, done.frozen) == (1, 1)
    assert work.payloads() == [CustomerFrozen(customer_id=oskar, reason="sanctions_match")]
    work.next_message()
    assert await rescreen_stale(work, RescreenStale("bootstrap")) is None


# --- operators -------------------------------------------------------------------------------


async def test_an_operator_freezes_and_unfreezes_a_customer(work: KycFakeWork) -> None:
    customer_id = await onboarded(work)
    freeze = FreezeCustomer(customer_id, True, "court_order", "cli:ops")

    outcome = await freeze_customer(work, freeze)

    assert outcome.changed
    assert work.payloads() == [CustomerFrozen(customer_id=customer_id, reason="court_order")]
    assert work.published[0].message_id == derive_id(work.message_id, "customer_frozen")
    entry = work.history.entries[-1]
    assert (entry.action, entry.actor, entry.cause_id) == (
        "customer_frozen",
        "cli:ops",
        work.message_id,
    )
    assert not (await freeze_customer(work, freeze)).changed
    work.next_message()
    await freeze_customer(work, dataclasses.replace(freeze, frozen=False))
    assert work.payloads() == [CustomerUnfrozen(customer_id=customer_id)]
    with pytest.raises(NotFound):
        await freeze_customer(work, dataclasses.replace(freeze, customer_id=uuid.uuid4()))


async def test_an_operator_freezes_a_wallet(work: KycFakeWork) -> None:
    who = await redeemer(work)

    outcome = await freeze_wallet(work, FreezeWallet(who.wallet_id, True, "lost_key", "cli:ops"))

    assert outcome.changed
    assert work.payloads() == [
        WalletFrozen(customer_id=who.customer_id, wallet_id=who.wallet_id, reason="lost_key")
    ]
    assert work.wallets.freeze_reasons[who.wallet_id] == "lost_key"
    with pytest.raises(NotFound):
        await freeze_wallet(work, FreezeWallet(uuid.uuid4(), True, "lost_key", "cli:ops"))


@pytest.mark.parametrize("approve", [True, False])
async def test_a_review_verifies_or_rejects_a_referred_customer(
    work: KycFakeWork, approve: bool
) -> None:
    name, _, nationality = VIKTOR
    referred = await onboarded(work, person(name, dt.date(1990, 5, 17), nationality))

    outcome = await decide_review(work, DecideReview(referred, approve, "cleared", "cli:ops"))

    assert outcome.changed
    expected = (
        CustomerVerified(customer_id=referred, tier="standard", due_diligence="standard")
        if approve
        else CustomerRejected(customer_id=referred, reason="cleared")
    )
    assert work.payloads() == [expected]
    again = await decide_review(work, DecideReview(referred, approve, "cleared", "cli:ops"))
    assert not again.changed


# --- records at rest -------------------------------------------------------------------------


async def test_re_encryption_seals_every_record_under_the_active_key() -> None:
    new, old = base64.b64encode(b"n" * 32).decode(), base64.b64encode(b"o" * 32).decode()
    work = KycFakeWork()
    work.terms = dataclasses.replace(work.terms, keyring=KeyRing.parse(f"old:{old}", "old"))
    await load_list(work, LoadList(UN_SAMPLE, "bootstrap"))
    customer_id = await onboarded(work)
    await register_bank_account(work, account(customer_id))
    ring = KeyRing.parse(f"new:{new},old:{old}", "new")
    work.terms = dataclasses.replace(work.terms, keyring=ring)  # the ring rotated

    done = await reencrypt(work, Reencrypt(batch=10))

    assert (done.customers, done.accounts) == (1, 1)
    customer = work.customers.known[customer_id]
    assert customer.particulars.key_id == "new"
    assert pii.account_holder_names(pii.particulars_of(ring, customer)) == ("Alice Wong",)
    [details] = work.accounts.known.values()
    assert details.details.key_id == "new"
    assert pii.details_of(ring, details).holder_name == "Alice Wong"
    again = await reencrypt(work, Reencrypt(batch=10))
    assert (again.customers, again.accounts) == (0, 0)
