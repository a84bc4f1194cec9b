"""Cross-currency redemptions end to end: every service as its own process on real Kafka
and PostgreSQL, driven through the ingress topics; the design's invariants checked last."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from clients.scenarios import Holder, Person, fund, onboard, outcome_of, redeem, register_account
from schemas.issuance import Minted
from schemas.redemption import RedemptionCompleted, RedemptionFailed, RedemptionQuoted
from schemas.settlement import BankAccount
from tests.e2e.conftest import E2E_SETTINGS, Live
from tests.e2e.invariants import check_invariants
from tests.support.money import cnh, tokens

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ALICE = Person("Alice Wong", dt.date(1985, 3, 14), "HK", "K1234567")
BOB = Person("Bob Lam", dt.date(1979, 11, 2), "HK", "K7654321")
SANCTIONED = Person("Viktor Anselm Krallenberg", dt.date(1968, 4, 12), "PA", "PA9900001")


@dataclass
class Holders:
    alice: Holder
    bob: Holder


@pytest.fixture(scope="module")
async def holders(live: Live) -> Holders:
    alice, bob = await asyncio.gather(
        onboard(live.outside, live.watcher, ALICE), onboard(live.outside, live.watcher, BOB)
    )
    assert (alice.decision, bob.decision) == ("verified", "verified")
    assert (alice.account_decision, bob.account_decision) == ("verified", "verified")
    for holder in (alice, bob):
        minted = await fund(live.outside, live.watcher, holder, cnh("20000.00"))
        assert isinstance(minted, Minted), minted
    return Holders(alice, bob)


def account(holder: Holder, ending: str) -> BankAccount:
    """The simulated bank's behaviour is chosen by the account number's ending."""
    return holder.bank_account.model_copy(update={"account_number": f"HK-004-123456{ending}"})


async def verified(live: Live, holder: Holder, ending: str) -> uuid.UUID:
    """Another account of the holder's, registered and verified (the bank's check passes;
    what the bank does with a payment to it is up to its ending)."""
    account_id, decision = await register_account(
        live.outside, live.watcher, holder, account(holder, ending)
    )
    assert decision == "verified"
    return account_id


@pytest.mark.parametrize(
    ("currency", "amount"), [("CNH", "500.00"), ("USD", "700.00"), ("HKD", "900.00")]
)
async def test_a_holder_redeems_and_is_paid(
    live: Live, holders: Holders, currency: str, amount: str
) -> None:
    before = await live.balance(holders.alice)
    redemption = await redeem(live.outside, live.watcher, holders.alice, tokens(amount), currency)

    done = redemption.outcome
    assert isinstance(done, RedemptionCompleted), done
    assert done.paid.currency == currency
    if redemption.quote is not None:
        assert done.paid == redemption.quote.payout, "paid exactly what was quoted"
    assert await live.balance(holders.alice) == before - tokens(amount).amount_minor


async def test_a_sanctioned_applicant_is_refused_and_cannot_redeem(live: Live) -> None:
    person = await onboard(live.outside, live.watcher, SANCTIONED)
    assert person.decision in ("rejected", "referred", "frozen")
    attempt = await redeem(live.outside, live.watcher, person, tokens("10.00"), "CNH")
    assert isinstance(attempt.outcome, RedemptionFailed)
    assert attempt.outcome.reason in (
        "customer_rejected",
        "sanctioned",
        "not_verified",
        "customer_frozen",
    )


async def test_insufficient_balance_fails_and_releases_the_limit(
    live: Live, holders: Holders
) -> None:
    redemption = await redeem(live.outside, live.watcher, holders.bob, tokens("90000.00"), "CNH")
    assert isinstance(redemption.outcome, RedemptionFailed)
    assert redemption.outcome.reason == "insufficient_balance"
    sent = await live.platform.query(
        "redemption",
        "SELECT detail FROM saga_log WHERE redemption_id = $1 AND event = 'command'",
        redemption.redemption_id,
    )
    assert [r["detail"] for r in sent] == [
        "kyc.check_eligibility",
        "issuance.place_hold",
        "kyc.release_reservation",
    ]


async def test_a_request_arriving_after_its_quote_expired_is_refused_at_intake(
    live: Live, holders: Holders
) -> None:
    before = await live.balance(holders.bob)
    ttl = float(E2E_SETTINGS["CNH_FX_QUOTE_TTL_S"])
    redemption = await redeem(
        live.outside,
        live.watcher,
        holders.bob,
        tokens("100.00"),
        "USD",
        wait=False,
        quote_delay_s=ttl + 1,
    )
    failed = await outcome_of(live.watcher, redemption.redemption_id)
    assert isinstance(failed, RedemptionFailed)
    assert failed.reason == "quote_expired"
    timeline = await live.platform.query(
        "redemption",
        "SELECT event FROM saga_log WHERE redemption_id = $1 ORDER BY id",
        redemption.redemption_id,
    )
    assert [r["event"] for r in timeline] == ["refused"], "no service was asked anything"
    assert await live.balance(holders.bob) == before


async def test_a_quote_accepted_in_time_is_honoured_however_long_the_saga_waits(
    live: Live, holders: Holders
) -> None:
    fx = next(p for p in live.platform.processes if p.module == "services.fx" and p.running)
    rid = uuid.uuid4()
    ttl = float(E2E_SETTINGS["CNH_FX_QUOTE_TTL_S"])
    redeeming = asyncio.create_task(
        redeem(
            live.outside, live.watcher, holders.alice, tokens("300.00"), "USD",
            redemption_id=rid, wait=False, quote_delay_s=1.0,
        )
    )  # fmt: skip
    await live.watcher.wait_any((RedemptionQuoted,), lambda e: e.redemption_id == rid)
    fx.kill()  # the request arrives in time; its conversion waits for FX
    redemption = await redeeming
    await asyncio.sleep(ttl + 2)  # the quote expires meanwhile
    await live.platform.start_many(["fx"], instance="1", **E2E_SETTINGS)
    done = await outcome_of(live.watcher, rid, timeout_s=120)
    assert isinstance(done, RedemptionCompleted), done
    assert redemption.quote is not None
    assert done.paid == redemption.quote.payout, "converted at the quote, as accepted"
    late = await live.platform.query(
        "fx", "SELECT market_mid FROM conversions WHERE redemption_id = $1", rid
    )
    assert late[0]["market_mid"] is not None, "FX honoured it after its expiry"


async def test_an_unsupported_currency_is_refused_at_quote_time(
    live: Live, holders: Holders
) -> None:
    redemption = await redeem(live.outside, live.watcher, holders.bob, tokens("10.00"), "JPY")
    assert isinstance(redemption.outcome, RedemptionFailed)
    assert redemption.outcome.reason.startswith("quote_")


async def test_a_rejected_payout_is_fully_compensated(live: Live, holders: Holders) -> None:
    before = await live.balance(holders.alice)
    redemption = await redeem(
        live.outside,
        live.watcher,
        holders.alice,
        tokens("1000.00"),
        "USD",
        beneficiary_account_id=await verified(live, holders.alice, "-0002"),
    )
    failed = redemption.outcome
    assert isinstance(failed, RedemptionFailed), failed
    assert failed.reason == "closed_account"
    assert await live.balance(holders.alice) == before, "tokens back in the wallet"
    reversed_ = await live.platform.query(
        "fx",
        "SELECT count(*) AS n FROM reversals WHERE redemption_id = $1",
        redemption.redemption_id,
    )
    assert reversed_[0]["n"] == 1, "the conversion was reversed"
    timeline = await live.platform.query(
        "redemption",
        "SELECT event, step FROM saga_log WHERE redemption_id = $1 ORDER BY id",
        redemption.redemption_id,
    )
    undone = [r["step"] for r in timeline if r["event"] == "command" and r["step"]]
    assert undone[-3:] == ["conversion", "hold", "eligibility"], "compensated newest first"


async def test_an_unknown_payout_outcome_is_resolved_by_reconciliation(
    live: Live,
    holders: Holders,
) -> None:
    redemption = await redeem(
        live.outside,
        live.watcher,
        holders.bob,
        tokens("300.00"),
        "HKD",
        beneficiary_account_id=await verified(live, holders.bob, "-0003"),
    )
    assert isinstance(redemption.outcome, RedemptionCompleted), redemption.outcome
    queries = await live.platform.query(
        "redemption",
        "SELECT count(*) AS n FROM saga_log WHERE redemption_id = $1 AND event = 'query'",
        redemption.redemption_id,
    )
    assert queries[0]["n"] >= 1, "the saga asked for the payout's status"


async def test_a_service_killed_mid_saga_picks_up_where_it_stopped(
    live: Live, holders: Holders
) -> None:
    issuance = next(p for p in live.platform.processes if p.module == "services.issuance")
    issuance.kill()
    redemption = await redeem(
        live.outside, live.watcher, holders.alice, tokens("200.00"), "CNH", wait=False
    )
    await asyncio.sleep(1.0)  # the saga has asked for the hold; nobody answers
    await live.platform.start_many(["issuance"], instance="1", **E2E_SETTINGS)
    done = await outcome_of(live.watcher, redemption.redemption_id, timeout_s=90)
    assert isinstance(done, RedemptionCompleted), done


async def test_afterwards_every_invariant_holds(live: Live, holders: Holders) -> None:
    problems = await check_invariants(live.platform)
    assert problems == [], "\n".join(problems)
