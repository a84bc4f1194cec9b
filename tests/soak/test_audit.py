"""The soak's audit is proven by tampering: a small real platform audits clean, then each
fault is planted (as the PostgreSQL superuser, in a copy of the one database it touches, or
on the broker) and exactly the check that guards against it must report it."""

from __future__ import annotations

import contextlib
import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from bench.soak.audit import (
    CHECKS,
    Facts,
    Platform,
    gather,
    gather_broker,
    gather_databases,
    judge,
)  # fmt: skip
from tests.soak.conftest import Built
from tests.support.environment import database_name, drop_database
from tests.support.kafka import partitions_of, produce
from tests.support.servers import Servers

pytestmark = pytest.mark.integration

TRIGGERS_OFF = "SET session_replication_role = replica"
"""The superuser's way past the ledgers' triggers and foreign keys (constraints still hold)."""


@dataclass(frozen=True)
class Plant:
    check: str
    sql: Callable[[Built], dict[str, list[str]]]
    """service -> statements run in a copy of its database."""


def _wallet(b: Built) -> str:
    return f"wallet:{b.alice.wallet_id}"


def _mint_beyond_reserve(b: Built) -> dict[str, list[str]]:
    deposit, tokens = uuid.uuid4(), 10**12  # a million CNH the reserve never received
    who = f"'{b.alice.customer_id}', '{b.alice.wallet_id}'"
    return {
        "settlement": [
            "INSERT INTO deposits (deposit_id, bank_reference, amount_minor, currency, value_date,"
            f" customer_id, wallet_id, state) VALUES ('{deposit}', 'TAMPERED', {tokens // 10**4},"
            f" 'CNH', current_date, {who}, 'confirmed')"
        ],
        "issuance": [
            "INSERT INTO mints (mint_id, deposit_id, customer_id, wallet_id, amount, reserve_cnh,"
            f" supply_after, command_id) VALUES (gen_random_uuid(), '{deposit}', {who}, {tokens},"
            f" {tokens}, {tokens}, gen_random_uuid())",
            *_movement(b, "mint", "issuer:minted", _wallet(b), tokens, "deposit_id", deposit),
        ],
    }


def _double_mint(b: Built) -> dict[str, list[str]]:
    mine = f"wallet_id = '{b.alice.wallet_id}'"
    return {
        "issuance": [
            "ALTER TABLE mints DROP CONSTRAINT mints_deposit_id_key",
            "DROP INDEX movements_one_mint",
            "INSERT INTO mints SELECT gen_random_uuid(), deposit_id, customer_id, wallet_id,"
            " amount, reserve_cnh, supply_after, gen_random_uuid(), minted_at"
            f" FROM mints WHERE {mine}",
            "INSERT INTO movements SELECT gen_random_uuid(), kind, debit_account, credit_account,"
            " amount, wallet_id, deposit_id, redemption_id, gen_random_uuid(), correlation_id,"
            f" recorded_at FROM movements WHERE kind = 'mint' AND {mine}",
            *_move("issuer:minted", _wallet(b), 10**9),
        ]
    }


def _burn_without_saga(b: Built) -> dict[str, list[str]]:
    ghost, wallet = uuid.uuid4(), b.alice.wallet_id
    return {
        "issuance": [
            "INSERT INTO burns (burn_id, redemption_id, wallet_id, amount, supply_after,"
            f" command_id) VALUES (gen_random_uuid(), '{ghost}', '{wallet}', 1000000, 0,"
            " gen_random_uuid())",
            *_movement(b, "burn", _wallet(b), "issuer:burned", 1000000, "redemption_id", ghost),
        ]
    }


def _hold_not_released(b: Built) -> dict[str, list[str]]:
    hold = f"FROM movements WHERE kind = 'hold' AND redemption_id = '{b.failed_cnh}'"
    return {
        "issuance": [
            f"UPDATE holds SET state = 'placed', released_by = NULL"
            f" WHERE redemption_id = '{b.failed_cnh}'",
            f"UPDATE accounts SET balance = balance + (SELECT amount {hold})"
            f" WHERE account = (SELECT credit_account {hold})",
            f"UPDATE accounts SET balance = balance - (SELECT amount {hold})"
            f" WHERE account = (SELECT debit_account {hold})",
            f"DELETE FROM movements WHERE kind = 'release' AND redemption_id = '{b.failed_cnh}'",
        ]
    }


def _movement(
    b: Built, kind: str, source: str, destination: str, amount: int, about: str, subject: uuid.UUID
) -> list[str]:
    """A token movement of Alice's wallet, recorded and applied to both accounts."""
    return [
        "INSERT INTO movements (movement_id, kind, debit_account, credit_account, amount,"
        f" wallet_id, {about}, command_id, correlation_id) VALUES (gen_random_uuid(), '{kind}',"
        f" '{source}', '{destination}', {amount}, '{b.alice.wallet_id}', '{subject}',"
        f" gen_random_uuid(), '{subject}')",
        *_move(source, destination, amount),
    ]


def _move(source: str, destination: str, amount: int) -> list[str]:
    return [
        f"UPDATE accounts SET balance = balance - {amount} WHERE account = '{source}'",
        f"UPDATE accounts SET balance = balance + {amount} WHERE account = '{destination}'",
    ]


PLANTS: dict[str, Plant] = {
    "a saga left RUNNING": Plant(
        "sagas_terminal",
        lambda b: {
            "redemption": [
                "UPDATE redemptions SET status = 'RUNNING'"
                f" WHERE redemption_id = '{b.completed_cnh}'"
            ]
        },
    ),
    "a quote request never answered": Plant(
        "sagas_terminal",
        lambda b: {
            "redemption": [
                f"UPDATE quotes SET status = 'requested' WHERE redemption_id = '{b.completed_usd}'"
            ]
        },
    ),
    "a saga nobody requested": Plant(
        "requests_have_sagas",
        lambda b: {
            "redemption": [
                "INSERT INTO redemptions (redemption_id, customer_id, wallet_id, amount_minor,"
                " payout_currency, status, saga) SELECT gen_random_uuid(), customer_id, wallet_id,"
                " amount_minor, payout_currency, status, saga FROM redemptions"
                f" WHERE redemption_id = '{b.refused}'"
            ]
        },
    ),
    "a request whose saga is lost": Plant(
        "requests_have_sagas",
        lambda b: {
            "redemption": [
                f"DELETE FROM saga_log WHERE redemption_id = '{b.refused}'",
                f"DELETE FROM redemptions WHERE redemption_id = '{b.refused}'",
            ]
        },
    ),
    "a duplicate payout row": Plant(
        "one_effect_each",
        lambda b: {
            "settlement": [
                "ALTER TABLE payouts DROP CONSTRAINT payouts_redemption_id_key",
                "INSERT INTO payouts SELECT (jsonb_populate_record(NULL::payouts, to_jsonb(p) ||"
                " jsonb_build_object('payout_id', gen_random_uuid(), 'bank_reference', NULL))).*"
                f" FROM payouts p WHERE redemption_id = '{b.completed_cnh}'",
            ]
        },
    ),
    "a second mint for one deposit": Plant("one_effect_each", _double_mint),
    "a burn without a saga": Plant("effects_match_sagas", _burn_without_saga),
    "a wallet balance one unit off": Plant(
        "supply_balances",
        lambda b: {
            "issuance": [
                f"UPDATE accounts SET balance = balance + 1 WHERE account = '{_wallet(b)}'"
            ]
        },
    ),
    "a mint beyond the reserve": Plant("reserve_covers_supply", _mint_beyond_reserve),
    "a ledger entry off by one minor unit": Plant(
        "journals_balance",
        lambda b: {
            "settlement": [
                "UPDATE journal_lines SET amount_minor = amount_minor + 1 WHERE entry_id ="
                " (SELECT entry_id FROM journal_entries WHERE template = 'payout_ordered'"
                f" AND redemption_id = '{b.completed_usd}') AND account LIKE 'customer_payable:%'"
            ]
        },
    ),
    "an FX trade off by one minor unit": Plant(
        "journals_balance",
        lambda b: {
            "fx": [
                "UPDATE movements SET amount = amount + 0.01"
                " WHERE memo = 'payout currency bought for the customer' AND entry_id ="
                " (SELECT entry_id FROM journal_entries WHERE kind = 'trade'"
                f" AND redemption_id = '{b.completed_usd}')"
            ]
        },
    ),
    "a failed saga whose hold was not released": Plant("failed_sagas_net_zero", _hold_not_released),
    "a failed saga whose conversion was not reversed": Plant(
        "failed_sagas_net_zero",
        lambda b: {
            "fx": [
                "DELETE FROM movements WHERE entry_id IN (SELECT entry_id FROM journal_entries"
                f" WHERE kind = 'reversal' AND redemption_id = '{b.failed_converted}')",
                "DELETE FROM journal_entries WHERE kind = 'reversal'"
                f" AND redemption_id = '{b.failed_converted}'",
                f"DELETE FROM reversals WHERE redemption_id = '{b.failed_converted}'",
            ]
        },
    ),
    "a failed saga whose limit stays reserved": Plant(
        "failed_sagas_net_zero",
        lambda b: {
            "kyc": [
                "UPDATE eligibility_checks SET outcome = 'reserved', released_at = NULL"
                f" WHERE redemption_id = '{b.failed_cnh}'"
            ]
        },
    ),
    "a bank credit lost": Plant(
        "deposits_minted",
        lambda b: {"settlement": [f"DELETE FROM deposits WHERE wallet_id = '{b.alice.wallet_id}'"]},
    ),
    "an unpublished outbox row": Plant(
        "outboxes_drained",
        lambda b: {
            "kyc": [
                "INSERT INTO outbox (topic, value, message_id)"
                " VALUES ('tampered', '\\x00'::bytea, gen_random_uuid())"
            ]
        },
    ),
}
BROKER_PLANTS = {"consumer_lag", "dead_letters"}
"""Planted on the broker by the two tests at the end of this file."""


@contextlib.asynccontextmanager
async def tampered(
    servers: Servers, built: Built, statements: dict[str, list[str]]
) -> AsyncIterator[Platform]:
    """The built platform with each named database replaced by a tampered copy."""
    copies = {}
    admin = await asyncpg.connect(servers.postgres_dsn)
    try:
        for service, sqls in statements.items():
            copy = f"tampered_{service}_{uuid.uuid4().hex[:8]}"
            source = database_name(built.databases[service])
            await admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
            copies[service] = servers.dsn(copy)
            db = await asyncpg.connect(copies[service])
            try:
                await db.execute(TRIGGERS_OFF)
                for sql in sqls:
                    await db.execute(sql)
            finally:
                await db.close()
    finally:
        await admin.close()
    try:
        yield Platform(
            {**built.databases, **copies},
            built.platform.kafka,
            built.platform.namespace,
            bank=built.platform.bank,
        )
    finally:
        for dsn in copies.values():
            await drop_database(servers, dsn)


async def test_the_platform_as_built_audits_clean(built: Built) -> None:
    findings = judge(await gather(built.platform, settle_s=0))
    assert findings.violations() == []


def test_every_check_is_proven_by_a_plant() -> None:
    assert {p.check for p in PLANTS.values()} | BROKER_PLANTS == set(CHECKS)


@pytest.fixture(scope="module")
async def broker_facts(built: Built) -> Facts:
    """What the broker says, read once: the databases' plants do not change it."""
    return await gather_broker(built.platform, settle_s=0)


@pytest.mark.parametrize("fault", list(PLANTS))
async def test_a_planted_fault_is_reported_by_its_check(
    servers: Servers, built: Built, broker_facts: Facts, fault: str
) -> None:
    plant = PLANTS[fault]
    facts = copy.deepcopy(broker_facts)
    async with tampered(servers, built, plant.sql(built)) as platform:
        await gather_databases(platform, facts)
    findings = judge(facts)
    assert findings.failing() == {plant.check}, findings.violations()


async def test_a_consumer_group_behind_is_reported(servers: Servers, built: Built) -> None:
    topic = built.platform.topic("fx.rates")
    group = AIOKafkaConsumer(
        **servers.admin.client_options(),
        group_id=built.platform.topic("fx.tampered"),
        enable_auto_commit=False,
    )
    await group.start()
    try:
        partitions = await partitions_of(group, topic)
        group.assign(partitions)
        ends = await group.end_offsets(partitions)
        await group.commit({tp: 0 for tp, end in ends.items() if end})
        try:
            findings = judge(await gather(built.platform, settle_s=0))
        finally:
            await group.commit(ends)  # caught up again: the tests after this one see no lag
    finally:
        await group.stop()
    assert findings.failing() == {"consumer_lag"}, findings.violations()


async def test_a_dead_letter_is_reported_last(servers: Servers, built: Built) -> None:
    """Last: a record cannot be taken back from a topic."""
    letter = {
        "type": "runtime.dead_letter",
        "payload": {"reason": "retries_exhausted", "detail": "planted", "source_topic": "x"},
    }
    await produce(
        servers.admin,
        built.platform.topic("kyc.dlq"),
        [(None, json.dumps(letter).encode())],
        [[("type", b"runtime.dead_letter")]],
    )
    findings = judge(await gather(built.platform, settle_s=0))
    assert findings.failing() == {"dead_letters"}, findings.violations()
    assert "retries_exhausted" in findings.violations()[0]
