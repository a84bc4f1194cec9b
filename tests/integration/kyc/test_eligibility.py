"""Saga step 1 against the real service: every typed rejection, reservations against the
rolling limit, release (also before its check), and redelivery of the same command."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

import pytest

from clients.wallet import Wallet
from schemas.kyc import ReleaseReservation
from tests.integration.kyc.support import (
    REPLIES,
    account_checks,
    apply,
    bank_account,
    check,
    cli,
    events,
    outcome,
    person,
    verified_account,
    wallet,
    wrap,
)
from tests.support.environment import Environment
from tests.support.money import tokens

pytestmark = pytest.mark.integration


async def test_every_rejection_reason_reservations_release_and_redelivery(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    standard = person("Chan Tai Man", due_diligence="standard")
    basic = person("Lee Siu Ming", due_diligence="simplified", born=dt.date(1985, 1, 2))
    frozen = person("Ho Ka Yee", born=dt.date(1979, 8, 30))
    rejected = person("Viktor Anselm Krallenberg", born=dt.date(1968, 4, 12), nationality="PA")
    referred = person("Marisol Quintera Valdespino", born=dt.date(1975, 2, 2), nationality="AR")
    w_standard, w_basic, w_frozen_customer = (
        wallet(standard.customer_id),
        wallet(basic.customer_id),
        wallet(frozen.customer_id),
    )
    w_pending = wallet(standard.customer_id, signed=False)
    w_to_freeze = wallet(standard.customer_id)
    w_rejected, w_referred = wallet(rejected.customer_id), wallet(referred.customer_id)
    await apply(platform, standard, basic, frozen, rejected, referred)
    await apply(platform, w_standard, w_basic, w_frozen_customer, w_pending, w_to_freeze)
    await apply(platform, w_rejected, w_referred)
    await events(platform, 12)

    code, out = await cli(
        platform, "freeze-customer", str(frozen.customer_id), "--reason", "court_order"
    )
    assert code == 0, out
    code, out = await cli(
        platform, "freeze-wallet", str(w_to_freeze.wallet_id), "--reason", "lost_keys"
    )
    assert code == 0, out
    frozen_events = await events(platform, 14)
    assert {"kyc.customer_frozen", "kyc.wallet_frozen"} <= {e.type for e in frozen_events}

    S, B = standard.customer_id, basic.customer_id
    # each pays out to an account of their own, verified; one of S's is still being checked
    a_standard = await verified_account(platform, S, "Chan Tai Man")
    a_basic = await verified_account(platform, B, "Lee Siu Ming")
    unchecked = bank_account(platform, S, "Chan Tai Man", number="012-345678-002")
    await apply(platform, unchecked)
    await account_checks(platform, 3)  # KYC asked the bank; nobody answers this one
    signed = check(S, w_standard.wallet_id, 10)  # then changed on the way: never sent as is
    passed = int(dt.datetime.now(dt.UTC).timestamp()) - 1
    cases = {
        # an unknown customer has no wallet: whoever names it has nobody's key to sign with
        "wallet_not_theirs/unknown_customer": check(uuid.uuid4(), w_standard.wallet_id, 10),
        "not_verified/referred": check(referred.customer_id, w_referred.wallet_id, 10),
        "customer_rejected": check(rejected.customer_id, w_rejected.wallet_id, 10),
        "customer_frozen": check(frozen.customer_id, w_frozen_customer.wallet_id, 10),
        "signature_invalid/another_key": check(S, w_standard.wallet_id, 10, signer=Wallet()),
        "signature_invalid/changed_amount": signed.model_copy(update={"amount": tokens("11")}),
        "signature_expired": check(S, w_standard.wallet_id, 10, deadline=passed),
        "wallet_not_theirs": check(S, w_basic.wallet_id, 10, account=a_standard),
        "wallet_not_theirs/pending": check(S, w_pending.wallet_id, 10, account=a_standard),
        "wallet_frozen": check(S, w_to_freeze.wallet_id, 10, account=a_standard),
        "beneficiary_unknown": check(S, w_standard.wallet_id, 10),
        "beneficiary_not_theirs": check(S, w_standard.wallet_id, 10, account=a_basic),
        "beneficiary_not_verified": check(
            S, w_standard.wallet_id, 10, account=unchecked.account_id
        ),
        "eligible/standard": check(S, w_standard.wallet_id, 50_000, account=a_standard),
    }
    # Basic tier: 5,000 per transaction, 10,000 per 24 hours; HK$8,000 at 1.15 HKD/CNH.
    b1, b2, b3 = (check(B, w_basic.wallet_id, 4_000, account=a_basic) for _ in range(3))
    b4 = check(B, w_basic.wallet_id, 4_000, account=a_basic)
    # HK$8,050 equivalent: more evidence needed
    dd = check(B, w_basic.wallet_id, 7_000, account=a_basic)
    # HK$6,900: fine, but above 5,000
    over_tx = check(B, w_basic.wallet_id, 6_000, account=a_basic)
    late = check(B, w_basic.wallet_id, 10, account=a_basic)
    early_release = ReleaseReservation(redemption_id=late.redemption_id)

    for case in cases.values():
        await platform.send(
            "kyc.commands", str(case.customer_id), wrap(platform, case, command=True)
        )
    b1_envelope = wrap(platform, b1, command=True)
    b3_envelope = wrap(platform, b3, command=True)
    first = [b1_envelope, wrap(platform, b2, command=True), b3_envelope]
    await platform.send("kyc.commands", str(B), *first)
    await platform.read("redemption.replies", lambda rs: len(rs) >= len(cases) + len(first))
    sequence = [
        b1_envelope,  # redelivered after it was applied: same reply, one reservation
        b3_envelope,  # 12,000 in 24 hours was over the daily limit: it stays a rejection
        wrap(platform, ReleaseReservation(redemption_id=b1.redemption_id), command=True),
        wrap(platform, b4, command=True),  # fits again once b1 is released
        wrap(platform, dd, command=True),
        wrap(platform, over_tx, command=True),
        wrap(platform, early_release, command=True),  # the saga compensated first
        wrap(platform, late, command=True),
    ]
    await platform.send("kyc.commands", str(B), *sequence)

    total = len(cases) + len(first) + len(sequence)
    records = await platform.read("redemption.replies", lambda rs: len(rs) >= total)
    decoded = [REPLIES.decode(r.value) for r in records]
    by_redemption: dict[uuid.UUID, list[Any]] = {}
    for reply in decoded:
        by_redemption.setdefault(reply.payload.redemption_id, []).append(reply.payload)

    def reason(command_id: uuid.UUID) -> str:
        answers = [p for p in by_redemption[command_id] if p.TYPE != "kyc.reservation_released"]
        return outcome(answers[0])

    for name, case in cases.items():
        expected = name.split("/")[0]
        assert reason(case.redemption_id) == (
            "kyc.eligible" if expected == "eligible" else expected
        ), name
    assert reason(b1.redemption_id) == "kyc.eligible"
    assert reason(b2.redemption_id) == "kyc.eligible"
    assert reason(b3.redemption_id) == "over_daily_limit"
    assert reason(b4.redemption_id) == "kyc.eligible"
    assert reason(dd.redemption_id) == "due_diligence_required"
    assert reason(over_tx.redemption_id) == "over_transaction_limit"
    assert reason(late.redemption_id) == "cancelled"

    # Redelivery: the same reply, byte for byte, twice; one reservation.
    counts = Counter(r.value for r in records)
    b1_replies = [
        r.value for r in records if REPLIES.decode(r.value).causation_id == b1_envelope.message_id
    ]
    b3_replies = [
        r.value for r in records if REPLIES.decode(r.value).causation_id == b3_envelope.message_id
    ]
    assert len(b1_replies) == 2
    assert len(set(b1_replies)) == 1
    assert len(b3_replies) == 2
    assert len(set(b3_replies)) == 1
    assert sum(counts.values()) == total
    rows = await platform.query(
        "kyc",
        "SELECT redemption_id, outcome, reservation_id FROM eligibility_checks "
        "WHERE customer_id = $1 OR customer_id IS NULL",
        B,
    )
    state = {r["redemption_id"]: r["outcome"] for r in rows}
    assert state[b1.redemption_id] == "released"
    assert state[b2.redemption_id] == state[b4.redemption_id] == "reserved"
    assert state[late.redemption_id] == "cancelled"
    released = next(
        p for p in by_redemption[b1.redemption_id] if p.TYPE == "kyc.reservation_released"
    )
    eligible = next(p for p in by_redemption[b1.redemption_id] if p.TYPE == "kyc.eligible")
    assert released.reservation_id == eligible.reservation_id
    assert next(p for p in by_redemption[late.redemption_id]).reservation_id is None
