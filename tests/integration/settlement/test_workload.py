"""A randomized workload of deposits, mints, payouts, burns, reserve releases, refunds and
duplicates; afterwards the ledger balances entry by entry and in total per currency, no
account is below zero unless its type allows it, and the CNH reserve covers the supply."""

from __future__ import annotations

import random
import uuid

import pytest

from schemas import Money
from schemas.settlement import (
    DepositConfirmed,
    DepositRefunded,
    DepositSuspended,
    PayoutRejected,
    PayoutReturned,
    PayoutSent,
    PayoutSettled,
    ReserveReleased,
)
from tests.integration.settlement.conftest import Settlement, deposit_reference, of_type
from tests.support.money import cnh

pytestmark = pytest.mark.integration

TOKEN_PER_FEN = 10_000


async def test_randomized_workload_keeps_the_ledger_balanced_and_the_reserve_covering(
    settlement: Settlement,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    context = f"seed {seed}"

    wallets = {}
    for _ in range(3):
        reference = deposit_reference()
        wallets[reference] = await settlement.register_wallet(reference)
    await settlement.wait_wallets(3)

    # deposits: most matched, some not; some notified twice
    notices = []
    matched_count = 0
    for _ in range(12):
        matched = rng.random() < 0.75
        matched_count += matched
        remittance = rng.choice(list(wallets)) if matched else "gift"
        notices.append(settlement.deposit(rng.randint(1, 5_000_00), remittance))
    await settlement.bank_sends(*notices, *rng.sample(notices, 3))
    mints = await settlement.mint_commands(matched_count)
    for mint in mints:
        await settlement.answer_mint(mint, reject="wallet_frozen" if rng.random() < 0.2 else None)
    events = await settlement.events(
        lambda es: (
            len(of_type(es, DepositConfirmed)) + len(of_type(es, DepositSuspended)) >= len(notices)
        )
    )
    confirmed = of_type(events, DepositConfirmed)
    suspended = of_type(events, DepositSuspended)
    assert len(confirmed) + len(suspended) == len(notices), context

    # redemptions of part of each confirmed deposit, paid in CNH or HKD, some to closed
    # accounts (rejected), some returned after settling
    redemptions: dict[uuid.UUID, tuple[DepositConfirmed, Money, str]] = {}
    for deposit in confirmed:
        par = cnh(rng.randint(1, deposit.amount.amount_minor))
        behaviour = rng.choice(["0000", "0000", "0002", "0005"])
        if rng.random() < 0.5:
            amount = cnh(par.amount_minor - rng.randint(0, min(par.amount_minor - 1, 100)))
        else:
            amount = Money(amount_minor=par.amount_minor * 108 // 100 + 1, currency="HKD")
        redemption_id = uuid.uuid4()
        redemptions[redemption_id] = (deposit, par, behaviour)
        await settlement.send_payout(redemption_id, amount, f"012-555555-{behaviour}", par=par)
    replies = await settlement.replies(lambda rs: len(rs) >= len(redemptions))
    sent = {r.redemption_id for r in of_type(replies, PayoutSent)}
    rejected = {r.redemption_id for r in of_type(replies, PayoutRejected)}
    assert sent | rejected == set(redemptions), context
    assert rejected == {r for r, (_, _, b) in redemptions.items() if b == "0002"}, context

    # saga step 5 for every payout the bank accepted: burn, then release the reserve
    for redemption_id in sent:
        deposit, par, _ = redemptions[redemption_id]
        await settlement.burn(
            deposit.wallet_id,
            redemption_id,
            Money(amount_minor=par.amount_minor * TOKEN_PER_FEN, currency="XCNH"),
        )
        await settlement.release(redemption_id, par)
    if sent:
        await settlement.release(next(iter(sent)), redemptions[next(iter(sent))][1])  # again
    replies = await settlement.replies(
        lambda rs: len(of_type(rs, ReserveReleased)) >= len(sent) + (1 if sent else 0)
    )
    releases = of_type(replies, ReserveReleased)
    assert len({r.redemption_id for r in releases}) == len(sent), context
    if sent:
        first = [r for r in releases if r.redemption_id == next(iter(sent))]
        assert first[0] == first[1], context  # the same answer, no second release

    # an operator refunds one suspended deposit
    refunded = 0
    if suspended:
        victim = suspended[0]
        code, _, err = await settlement.cli("refund", str(victim.deposit_id))
        assert code == 0, err
        refunded = victim.amount.amount_minor
        await settlement.events(lambda es: bool(of_type(es, DepositRefunded)))

    returned = {r for r, (_, _, b) in redemptions.items() if b == "0005" and r in sent}
    await settlement.events(
        lambda es: (
            len(of_type(es, PayoutSettled)) >= len(sent)
            and len(of_type(es, PayoutReturned)) >= len(returned)
        )
    )
    await settlement.wait_rows(
        "SELECT count(*) AS n FROM supply_movements",
        lambda rows: rows[0]["n"] == len(confirmed) + len(sent),
    )

    # --- the invariants ------------------------------------------------------------------
    unbalanced = await settlement.platform.query(
        "settlement",
        """
        SELECT entry_id, currency FROM journal_lines GROUP BY entry_id, currency
        HAVING sum(CASE side WHEN 'D' THEN amount_minor ELSE -amount_minor END) <> 0
        """,
    )
    assert unbalanced == [], context
    assert set((await settlement.trial_balance()).values()) == {0}, context
    overdrawn = await settlement.platform.query(
        "settlement", "SELECT account FROM accounts WHERE NOT may_be_negative AND balance_minor < 0"
    )
    assert overdrawn == [], context

    deposited = sum(n.amount.amount_minor for n in notices)
    released = sum(redemptions[r][1].amount_minor for r in sent)
    reserve = await settlement.balance("reserve_bank:CNH")
    assert reserve == deposited - released - refunded, context
    rows = await settlement.platform.query(
        "settlement",
        "SELECT coalesce(sum(CASE kind WHEN 'minted' THEN amount_minor ELSE -amount_minor END),"
        " 0) AS supply FROM supply_movements",
    )
    supply = int(rows[0]["supply"])
    assert supply == settlement.supply_minor, context
    assert reserve * TOKEN_PER_FEN >= supply, context  # coverage: reserve >= supply at par
    # and more strictly: the part of the reserve not held for others (suspense, refunds)
    held = sum(s.amount.amount_minor for s in suspended) - refunded
    assert (reserve - held) * TOKEN_PER_FEN == supply, context
    # the ledger's own view of circulating tokens agrees with issuance's supply
    assert await settlement.balance("tokens_outstanding:CNH") * TOKEN_PER_FEN == supply, context
    for release in releases:
        assert release.reserve_after.amount_minor * TOKEN_PER_FEN >= supply, context

    # the attestation an auditor reads: every movement backed (exit 0), and read-only
    code, report, err = await settlement.cli("attest")
    assert code == 0, err
    print(report)  # shown with -s, and with any failure
    assert "fully backed               YES" in report, report
    assert "coverage ratio             1.000000" in report or not supply, report
    assert f"CNH reserve (bank account) {cnh(reserve)}" in report, report
    assert ("deposit_matched" in report and "reserve_released" in report) or not sent, report
    if returned:
        assert "[payout_returned]" in report, report
    assert "[suspense_deposit]" in report or len(suspended) <= 1, report
    assert "unbacked" not in report, report
    # the service recorded its report at startup; `make attest` records none, so a second
    # one covers the same period
    recorded = await settlement.platform.query("settlement", "SELECT count(*) FROM attestations")
    code, second, err = await settlement.cli("attest")
    assert code == 0, err
    assert "inception" not in second, second
    assert second.split("3. MOVEMENTS")[1] == report.split("3. MOVEMENTS")[1], second
    assert await settlement.platform.query("settlement", "SELECT count(*) FROM attestations") == (
        recorded
    )
