"""The audit's rules, each a pure function of the facts returning its violations in words.
The names are what a report and the tampering tests (tests/soak/test_audit.py) refer to."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bench.soak.audit.facts import Facts

TERMINAL = ("COMPLETED", "FAILED", "NEEDS_REVIEW")
TOKENS_PER_FEN = 10_000
"""At par: one token (6 decimals) per CNH (2 decimals)."""
FEN_PER_CNH = Decimal(100)
PAID = ("sent", "settled", "unknown", "returned")
"""Payout states in which the bank may have paid (or did)."""

Check = Callable[[Facts], list[str]]


def requests_have_sagas(facts: Facts) -> list[str]:
    """One saga per redemption requested on the ingress topic: none missing, none extra."""
    asked, kept = set(facts.redeem_requests), set(facts.sagas)
    return [f"redemption {r} was requested and has no saga" for r in sorted(asked - kept)] + [
        f"saga {r} has no request on redemption.requests" for r in sorted(kept - asked)
    ]


def sagas_terminal(facts: Facts) -> list[str]:
    """Every saga ended (COMPLETED, FAILED or NEEDS_REVIEW); every quote request answered."""
    return [
        f"saga {r} still {s.status}"
        for r, s in sorted(facts.sagas.items())
        if s.status not in TERMINAL
    ] + [f"quote request {r} never answered" for r in sorted(facts.quotes_unanswered)]


def one_effect_each(facts: Facts) -> list[str]:
    """At most one payout, bank payment, burn, conversion and reserve release per redemption;
    one mint per deposit; one deposit per bank credit."""
    payouts = Counter(p.redemption_id for p in facts.payouts)
    return [
        *_more_than_once("payouts", payouts),
        *_more_than_once("bank payments for payout", facts.bank_payments),
        *_more_than_once("payout_ordered entries", _of(facts.ledger_entries, "payout_ordered")),
        *_more_than_once("reserve_released entries", _of(facts.ledger_entries, "reserve_released")),
        *_more_than_once("burns", Counter(r for r, _ in facts.burns)),
        *_more_than_once("burn movements", _moves(facts, "burn")),
        *_more_than_once("mints for deposit", Counter(d for d, _ in facts.mints)),
        *_more_than_once("mint movements for deposit", _moves(facts, "mint")),
        *_more_than_once("conversions", Counter(r for r, _ in facts.conversions)),
        *_more_than_once("FX trade entries for conversion", _of(facts.fx_entries, "trade")),
        *_more_than_once("deposits for bank credit", Counter(d[0] for d in facts.deposits)),
    ]


def effects_match_sagas(facts: Facts) -> list[str]:
    """Every hold, burn, conversion, payout and reserve release belongs to a saga; a
    COMPLETED saga burned its tokens once, paid once, released the reserve, and converted
    (unless paid in CNH) without reversing."""
    found = []
    effects: list[tuple[str, Iterable[uuid.UUID]]] = [
        ("hold", facts.holds),
        ("burn", (r for r, _ in facts.burns)),
        ("conversion", (r for r, _ in facts.conversions)),
        ("payout", (p.redemption_id for p in facts.payouts)),
        ("reserve release", facts.reserve_releases),
    ]
    for what, subjects in effects:
        found += [
            f"{what} for {r} without a saga" for r in sorted(set(subjects) - set(facts.sagas))
        ]
    burned = dict(facts.burns)
    paid = {p.redemption_id for p in facts.payouts if p.state in ("sent", "settled")}
    converted = {r for r, _ in facts.conversions}
    for rid, saga in sorted(facts.sagas.items()):
        if saga.status != "COMPLETED":
            continue
        if burned.get(rid) != saga.amount_minor or facts.holds.get(rid) != "burned":
            found.append(f"completed saga {rid}: burn {burned.get(rid)} of {saga.amount_minor}")
        if rid not in paid:
            found.append(f"completed saga {rid}: no payout sent")
        if rid not in facts.reserve_releases:
            found.append(f"completed saga {rid}: reserve not released")
        if saga.currency != "CNH" and (rid not in converted or rid in facts.reversed):
            found.append(f"completed saga {rid}: {saga.currency} conversion missing or reversed")
    return found


def supply_balances(facts: Facts) -> list[str]:
    """Token supply == minted - burned == wallet balances + holds; every token account's
    balance is the sum of its movements."""
    minted = sum(amount for _, amount in facts.mints)
    burned = sum(amount for _, amount in facts.burns)
    held = facts.wallets_total + facts.holds_total
    found = []
    if minted - burned != held:
        found.append(
            f"minted {minted} - burned {burned} = {minted - burned}, balances + holds {held}"
        )
    if -facts.issuer_minted != minted or facts.issuer_burned != burned:
        found.append(
            f"issuer accounts say minted {-facts.issuer_minted}, burned {facts.issuer_burned};"
            f" the mints and burns say {minted}, {burned}"
        )
    found += [
        f"token account {a}: balance {b}, its movements {m}" for a, b, m in facts.token_accounts_off
    ]
    return found


def reserve_covers_supply(facts: Facts) -> list[str]:
    """The supply is at most the CNH reserve in the fiat ledger, at par."""
    supply = -facts.issuer_minted - facts.issuer_burned
    if supply > facts.reserve_fen * TOKENS_PER_FEN:
        return [f"supply {supply} tokens above the reserve {facts.reserve_fen} fen at par"]
    return []


def journals_balance(facts: Facts) -> list[str]:
    """Settlement: every entry balances per currency in two lines or more, every account's
    balance is the sum of its lines. FX: every trade takes the quoted CNH from the customer
    and gives what the CNH sold is worth at the quote's mid."""
    found = [
        f"ledger entry {e} {c}: debits - credits = {net} ({lines} lines)"
        for e, c, net, lines in facts.unbalanced
    ]
    found += [
        f"ledger account {a}: balance {b}, its lines {p}" for a, b, p in facts.ledger_accounts_off
    ]
    for t in facts.fx_trades:
        if t.cnh_from_customer * FEN_PER_CNH != t.sell_minor:
            found.append(
                f"FX trade {t.entry_id}: {t.cnh_from_customer} CNH taken, quoted {t.sell_minor} fen"
            )
        if t.cnh_to_provider * t.mid != t.payout_from_provider:
            found.append(
                f"FX trade {t.entry_id}: {t.cnh_to_provider} CNH at {t.mid} given as"
                f" {t.payout_from_provider}"
            )
    return found


def failed_sagas_net_zero(facts: Facts) -> list[str]:
    """A FAILED saga left nothing behind: limit reservation and hold released, tokens back,
    no burn, conversion reversed to the last unit, no payment, reserve untouched."""
    found = []
    burned = {r for r, _ in facts.burns}
    paid = {p.redemption_id: p.state for p in facts.payouts if p.state in PAID}
    converted = {r for r, _ in facts.conversions}
    for rid, saga in sorted(facts.sagas.items()):
        if saga.status != "FAILED":
            continue
        wrong = []
        if facts.reservations.get(rid) == "reserved":
            wrong.append("limit still reserved")
        if facts.holds.get(rid) in ("placed", "burned"):
            wrong.append(f"hold {facts.holds[rid]}")
        held = facts.token_movements.get((rid, "hold"), (0, 0))[1]
        released = facts.token_movements.get((rid, "release"), (0, 0))[1]
        if held != released:
            wrong.append(f"held {held} tokens, released {released}")
        if rid in burned:
            wrong.append("burned")
        if rid in converted and (
            rid not in facts.reversed or any(facts.customer_net.get(rid, {}).values())
        ):
            wrong.append(f"conversion not reversed exactly ({facts.customer_net.get(rid)})")
        if rid in paid:
            wrong.append(f"payout {paid[rid]}")
        if rid in facts.reserve_releases:
            wrong.append("reserve released")
        if wrong:
            found.append(f"failed saga {rid} ({saga.reason}): " + "; ".join(wrong))
    return found


def deposits_minted(facts: Facts) -> list[str]:
    """Every bank credit notified is recorded; every confirmed deposit minted its amount at
    par; every mint is for a confirmed deposit of that amount; none is left minting."""
    recorded = {d[0]: d for d in facts.deposits}
    found = [
        f"bank credit {ref} notified and not recorded"
        for ref in sorted(set(facts.deposit_notices) - set(recorded))
    ]
    minted = {deposit for deposit, _ in facts.mints}
    confirmed = {d[1]: d[3] for d in facts.deposits if d[2] == "confirmed"}
    for ref, deposit, state, _ in sorted(recorded.values(), key=lambda d: d[0]):
        if state == "minting":
            found.append(f"deposit {ref} still minting")
        elif state == "confirmed" and deposit not in minted:
            found.append(f"deposit {ref} confirmed and never minted")
    for deposit, amount in sorted(facts.mints):
        fen = confirmed.get(deposit)
        if fen is None:
            found.append(f"mint for deposit {deposit}, which settlement has not confirmed")
        elif amount != fen * TOKENS_PER_FEN:
            found.append(f"deposit {deposit}: {fen} fen minted as {amount} tokens")
    return found


def outboxes_drained(facts: Facts) -> list[str]:
    """No outbox row left unpublished, none parked, in any database."""
    return [
        f"{s}: {n} outbox rows unpublished" for s, n in sorted(facts.unpublished.items()) if n
    ] + [
        f"{s}: {n} outbox rows parked ({reason})"
        for s, reasons in sorted(facts.parked.items())
        for reason, n in sorted(reasons.items())
    ]


def consumer_lag(facts: Facts) -> list[str]:
    """Every consumer group of the platform committed up to the end of what it reads."""
    return [f"group {g}: lag {n}" for g, n in sorted(facts.lag.items()) if n]


def dead_letters(facts: Facts) -> list[str]:
    """Dead letters, counted by topic and reason (the soak sends only valid requests)."""
    counts = Counter((d.topic, d.reason, d.source_topic) for d in facts.dead_letters)
    return [
        f"{topic}: {n} dead letter(s) from {source or '?'}: {reason}"
        for (topic, reason, source), n in sorted(counts.items())
    ]


def _more_than_once(what: str, counts: Counter[uuid.UUID] | Counter[str]) -> list[str]:
    return [f"{n} {what} {key}" for key, n in sorted(counts.items()) if n > 1]


def _of(counts: Counter[tuple[uuid.UUID, str]], kind: str) -> Counter[uuid.UUID]:
    return Counter({key: n for (key, k), n in counts.items() if k == kind})


def _moves(facts: Facts, kind: str) -> Counter[uuid.UUID]:
    return Counter({key: n for (key, k), (n, _) in facts.token_movements.items() if k == kind})


CHECKS: dict[str, Check] = {
    check.__name__: check
    for check in (
        requests_have_sagas,
        sagas_terminal,
        one_effect_each,
        effects_match_sagas,
        supply_balances,
        reserve_covers_supply,
        journals_balance,
        failed_sagas_net_zero,
        deposits_minted,
        outboxes_drained,
        consumer_lag,
        dead_letters,
    )
}


@dataclass
class Findings:
    by_check: dict[str, list[str]] = field(default_factory=dict)

    def violations(self) -> list[str]:
        return [f"{name}: {v}" for name, found in self.by_check.items() for v in found]

    def failing(self) -> set[str]:
        return {name for name, found in self.by_check.items() if found}


def judge(facts: Facts) -> Findings:
    return Findings({name: check(facts) for name, check in CHECKS.items()})
