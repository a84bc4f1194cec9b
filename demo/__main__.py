"""The platform's main job, on an embedded default: start every service, onboard customers
(one of them on a sanctions list) with EVM wallets whose keys are made for this run and a
bank account in their own name each, verified by KYC and the bank (one account refused for
another holder's name), fund the wallets with bank deposits (tokens minted), then run
cross-currency redemptions, each signed by the holder's wallet (one compensated after the
bank refuses the payout, one to another customer's account and one forged by whoever relays
it, both refused), and end with a readable summary. Stops the services it started, also on
Ctrl-C or failure.

    python -m demo            (make demo starts Kafka and PostgreSQL first)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
import uuid
from dataclasses import dataclass, replace

from clients.market import feed
from clients.money import cnh, tokens
from clients.outside import Outside
from clients.scenarios import Holder, Person, Redemption, fund, onboard, redeem, register_account
from clients.wallet import Wallet
from clients.watcher import Watcher
from infra import platform
from schemas import Message
from schemas.issuance import Minted
from schemas.money import Money
from schemas.principals import SERVICES
from schemas.redemption import RedemptionCompleted, RedemptionFailed, RedemptionNeedsReview
from schemas.settlement import BankAccount, DepositSuspended
from services.issuance.cli import read_supply
from services.redemption.cli import show_saga
from services.runtime.settings import ServiceSettings
from services.settlement.invariants import reserve_balance

# The demo plays the outside world (each role as its own principal) and reads what happened
# as the operator, read-only, like the tools.
TOOLS = ServiceSettings(service="demo", principal="operator")


def operator_dsn(service: str) -> str:
    return ServiceSettings(service=service, principal="operator").database_url


PEOPLE = [
    Person("Alice Wong", dt.date(1985, 3, 14), "HK", "K1234567"),
    Person("Bob Lam", dt.date(1979, 11, 2), "HK", "K7654321"),
    Person("Chen Mei Ling", dt.date(1990, 7, 30), "SG", "S8765432", due_diligence="enhanced"),
    Person("Viktor Anselm Krallenberg", dt.date(1968, 4, 12), "PA", "PA9900001"),
]
DEPOSITS = {"Alice Wong": "50000.00", "Bob Lam": "20000.00", "Chen Mei Ling": "120000.00"}


@dataclass
class Plan:
    who: str
    tokens: str
    currency: str
    note: str
    account_ending: str = ""
    """Paid to another account of the holder's, with this ending (the bank's behaviour)."""
    to_account_of: str = ""
    """Paid to this other customer's account: refused at the first step."""
    forged: bool = False
    """Sent in the holder's name but signed by another key (what a rogue gateway can do)."""


PLAN = [
    Plan("Alice Wong", "1000.00", "USD", "paid in US dollars"),
    Plan("Bob Lam", "2500.00", "HKD", "paid in Hong Kong dollars"),
    Plan("Chen Mei Ling", "8000.00", "CNH", "paid in offshore yuan at par"),
    Plan("Chen Mei Ling", "3000.00", "EUR", "paid in euros"),
    Plan("Alice Wong", "1500.00", "USD", "to a closed bank account: the bank refuses", "-0002"),
    Plan("Bob Lam", "50000.00", "CNH", "more than Bob holds"),
    Plan(
        "Bob Lam", "100.00", "CNH", "to Alice's bank account: not his", to_account_of="Alice Wong"
    ),
    Plan("Alice Wong", "900.00", "CNH", "in Alice's name, signed by another key", forged=True),
]


def say(text: str = "") -> None:
    print(text, flush=True)


def step(number: int, title: str) -> None:
    say()
    say(f"[{number}/5] {title}")


async def run() -> int:
    started = time.monotonic()
    async with Outside(TOOLS.kafka_logins) as outside, Watcher(TOOLS.kafka) as watcher:
        market = asyncio.create_task(feed(outside))  # the market-data feed, every 5 s
        try:
            return await _journeys(outside, watcher, started)
        finally:
            market.cancel()


async def _journeys(outside: Outside, watcher: Watcher, started: float) -> int:
    step(
        2,
        "Onboarding customers (KYC, sanctions screening, EVM wallets proven by signature, "
        "bank accounts in their own name)",
    )
    holders: dict[str, Holder] = {}
    for person, holder in zip(
        PEOPLE,
        await asyncio.gather(*(onboard(outside, watcher, p) for p in PEOPLE)),
        strict=True,
    ):
        holders[person.name] = holder
        mark = "ok " if holder.decision == "verified" else "!! "
        say(
            f"  {mark}{person.name:<28} {holder.decision:<9} wallet {holder.wallet.address}; "
            f"bank account {holder.account_decision}"
        )
    # first party only: an account in somebody else's name is refused before the bank is asked
    alice = holders["Alice Wong"]
    other = alice.bank_account.model_copy(update={"holder_name": "Mallory Chan"})
    _, decision = await register_account(outside, watcher, alice, other)
    say(f"  !! Alice Wong registers an account held by Mallory Chan: {decision}")
    accounts: dict[tuple[str, str], uuid.UUID] = {}
    for plan in PLAN:
        if plan.account_ending and (plan.who, plan.account_ending) not in accounts:
            holder = holders[plan.who]
            account_id, decision = await register_account(
                outside, watcher, holder, _account(holder, plan.account_ending)
            )
            accounts[plan.who, plan.account_ending] = account_id
            say(f"  ok {plan.who:<28} a second account (ending {plan.account_ending}): {decision}")

    step(3, "Bank deposits into the CNH reserve account; tokens minted at par")
    for name, amount in DEPOSITS.items():
        result = await fund(outside, watcher, holders[name], cnh(amount))
        if isinstance(result, Minted):
            say(f"  ok {name:<28} deposited {amount:>10} CNH -> minted {result.amount}")
        else:
            assert isinstance(result, DepositSuspended)
            say(f"  !! {name:<28} deposit suspended: {result.reason}")

    step(4, "Redemptions (quote first, then redeem, signed by the holder's wallet; each a saga)")
    results: list[tuple[Plan, Redemption]] = []
    for plan in PLAN:
        holder = holders[plan.who]
        if plan.forged:  # the holder's ids are public (kyc.events); their key is not
            holder = replace(holder, wallet=Wallet())
        say(f"  .. {plan.who:<16} {plan.tokens:>9} XCNH -> {plan.currency}  ({plan.note})")
        redemption = await redeem(
            outside,
            watcher,
            holder,
            tokens(plan.tokens),
            plan.currency,
            beneficiary_account_id=(
                holders[plan.to_account_of].account_id
                if plan.to_account_of
                else accounts.get((plan.who, plan.account_ending))
            ),
        )
        results.append((plan, redemption))
        say(f"     {_describe(redemption)}")

    step(5, "Summary")
    await _summary(results)
    say(f"\ndemo finished in {time.monotonic() - started:.1f} s")
    return 0


def _account(holder: Holder, ending: str) -> BankAccount:
    if not ending:
        return holder.bank_account
    return holder.bank_account.model_copy(update={"account_number": f"HK-004-123456{ending}"})


def _describe(redemption: Redemption) -> str:
    outcome: Message | None = redemption.outcome
    quoted = ""
    if redemption.quote is not None:
        q = redemption.quote
        quoted = f"quoted {q.payout} at {q.rate} (fee {q.fee}); "
    if isinstance(outcome, RedemptionCompleted):
        return f"{quoted}COMPLETED: paid {outcome.paid}"
    if isinstance(outcome, RedemptionFailed):
        return f"{quoted}FAILED ({outcome.reason}): {outcome.detail}"
    if isinstance(outcome, RedemptionNeedsReview):
        return f"{quoted}NEEDS REVIEW ({outcome.reason}): {outcome.detail}"
    return f"{quoted}no outcome"


async def _summary(results: list[tuple[Plan, Redemption]]) -> None:
    say(f"  {'redemption':<36}  {'amount':>14}  {'payout':<14} outcome")
    for plan, redemption in results:
        outcome = redemption.outcome
        paid = outcome.paid if isinstance(outcome, RedemptionCompleted) else None
        status = type(outcome).__name__.removeprefix("Redemption") if outcome else "?"
        reason = f" ({getattr(outcome, 'reason', '')})" if getattr(outcome, "reason", "") else ""
        say(
            f"  {redemption.redemption_id}  {plan.tokens:>9} XCNH  {paid or '-'!s:<14} "
            f"{status}{reason}"
        )
    compensated = next((r for p, r in results if p.account_ending), None)
    if compensated is not None:
        say("\n  The compensated redemption, step by step:")
        await show_saga(operator_dsn("redemption"), compensated.redemption_id)
    supply = await read_supply(operator_dsn("issuance"))
    reserve = await reserve_balance(operator_dsn("settlement"))
    tokens_out = Money(amount_minor=supply.supply, currency="XCNH")
    ratio = (reserve.amount_minor * 10_000 / supply.supply) if supply.supply else float("inf")
    say(f"\n  Token supply      {tokens_out}")
    say(f"  CNH reserve       {reserve}")
    say(f"  Coverage          {ratio:.2%} {'(fully backed)' if ratio >= 1 else '(SHORTFALL!)'}")
    say(f"  Supply invariant  {'holds' if not supply.violations() else supply.violations()}")
    say("\n  Where to look next:")
    say("    make saga ID=<redemption id>   one redemption's timeline")
    say("    make sagas                     the latest redemptions")
    say("    make attest                    reserve attestation report")
    say("    make supply                    token supply check")
    say("    make dlq                       dead letters, if any")
    say("    .run/logs/<service>-0.log      each service's JSON log (correlation ids)")


def main() -> None:
    say("CNH stablecoin platform: demo")
    step(1, "Starting the simulated bank and the services: " + ", ".join(SERVICES))
    code = 1
    try:
        if platform.up(list(platform.PLATFORM), 1) != 0:
            raise SystemExit("demo: a service did not start; see .run/logs")
        code = asyncio.run(run())
    except KeyboardInterrupt:
        say("\ndemo: interrupted")
        code = 130
    except TimeoutError as exc:
        say(f"\ndemo: FAILED, waited in vain: {exc}\n      see .run/logs/*.log")
    finally:
        say("\nstopping the services ...")
        platform.down()
    sys.exit(code)


if __name__ == "__main__":
    main()
