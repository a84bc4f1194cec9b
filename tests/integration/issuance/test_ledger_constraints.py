"""The ledger's own guarantees on PostgreSQL, without Kafka: handlers racing in concurrent
transactions (as replicas do) cannot overdraw a wallet or mint a deposit twice, and the
database refuses a negative balance or a second mint/hold/burn whatever code writes it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from schemas import Message, envelope
from schemas.issuance import HoldPlaced, HoldRejected, Minted, MintForDeposit
from services.issuance.handlers import subscriptions
from services.runtime.db import Pool, create_pool
from services.runtime.handlers import HandlerContext
from services.runtime.retry import kind_of
from services.runtime.unit_of_work import UnitOfWork
from tests.integration.issuance.conftest import (
    TOKEN_UNIT,
    deposit_facts,
    mint,
    onboarding,
    place,
)
from tests.support.environment import copy_database, drop_database, migrated_template
from tests.support.servers import Servers

pytestmark = pytest.mark.integration

SUBSCRIPTIONS = {t: s for s in subscriptions("test") for t in s.handlers}


@pytest.fixture
async def pool(servers: Servers) -> AsyncIterator[Pool]:
    dsn = await copy_database(servers, await migrated_template(servers, "issuance"), "issuance")
    pool = await create_pool(dsn, min_size=2, max_size=24)
    try:
        yield pool
    finally:
        await pool.close()
        await drop_database(servers, dsn)


async def apply(pool: Pool, payload: Message) -> Message | None:
    """One command in its own transaction, its batch's locks taken first and retried on a
    lost race, as the runtime does."""
    env = envelope(payload, producer="test", correlation_id=uuid.uuid4(), reply_to="replies")
    subscription = SUBSCRIPTIONS[type(payload)]
    for _ in range(10):
        try:
            async with UnitOfWork(pool) as uow:
                if subscription.prepare is not None:
                    await subscription.prepare(uow, [env])
                ctx: HandlerContext[Any] = HandlerContext.within(uow, env, "t")
                reply = await subscription.handler_for(payload)(ctx, payload)
                await uow.commit()
                return reply
        except Exception as exc:
            if kind_of(exc) not in ("unavailable", "transient"):  # a lost race
                raise
    raise AssertionError("still losing races after 10 attempts")


async def funded_wallet(pool: Pool, whole_tokens: int) -> tuple[uuid.UUID, uuid.UUID]:
    customer, wallet = uuid.uuid4(), uuid.uuid4()
    for event in onboarding(customer, wallet):
        await apply(pool, event)
    assert isinstance(await told_and_minted(pool, mint(customer, wallet, whole_tokens)), Minted)
    return customer, wallet


async def told_and_minted(pool: Pool, command: MintForDeposit) -> Message | None:
    for fact in deposit_facts(command):
        await apply(pool, fact)
    return await apply(pool, command)


async def test_concurrent_holds_on_one_wallet_never_overdraw_it(pool: Pool) -> None:
    _, wallet = await funded_wallet(pool, 10)

    replies = await asyncio.gather(
        *(apply(pool, place(uuid.uuid4(), wallet, 1)) for _ in range(20))
    )

    assert sum(isinstance(r, HoldPlaced) for r in replies) == 10
    assert all(isinstance(r, HoldPlaced | HoldRejected) for r in replies)
    async with pool.acquire() as conn:
        balance = await conn.fetchval(
            "SELECT balance FROM accounts WHERE wallet_id = $1 AND kind = 'wallet'", wallet
        )
        held = await conn.fetchval("SELECT sum(amount) FROM holds WHERE wallet_id = $1", wallet)
    assert (balance, held) == (0, 10 * TOKEN_UNIT)


async def test_concurrent_mints_of_one_deposit_mint_once(pool: Pool) -> None:
    customer, wallet = await funded_wallet(pool, 1)
    command = mint(customer, wallet, 5)
    for fact in deposit_facts(command):
        await apply(pool, fact)

    replies = await asyncio.gather(*(apply(pool, command) for _ in range(8)))

    assert len({r.mint_id for r in replies if isinstance(r, Minted)}) == 1
    assert all(isinstance(r, Minted) for r in replies)
    async with pool.acquire() as conn:
        balance = await conn.fetchval(
            "SELECT balance FROM accounts WHERE wallet_id = $1 AND kind = 'wallet'", wallet
        )
    assert balance == 6 * TOKEN_UNIT


async def test_the_database_refuses_negative_balances_and_second_postings(pool: Pool) -> None:
    _, wallet = await funded_wallet(pool, 3)
    redemption = uuid.uuid4()
    assert isinstance(await apply(pool, place(redemption, wallet, 1)), HoldPlaced)

    async with pool.acquire() as conn:
        for kind in ("wallet", "hold"):
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(
                    "UPDATE accounts SET balance = balance - 3000000 WHERE kind = $1", kind
                )
        with pytest.raises(asyncpg.CheckViolationError):  # more burned than ever minted
            await conn.execute("UPDATE accounts SET balance = 1 WHERE account = 'issuer:minted'")
        mint_row = await conn.fetchrow("SELECT * FROM movements WHERE kind = 'mint'")
        assert mint_row is not None
        with pytest.raises(asyncpg.UniqueViolationError):  # a second mint of one deposit
            await conn.execute(
                "INSERT INTO movements (movement_id, kind, debit_account, credit_account,"
                " amount, wallet_id, deposit_id, command_id, correlation_id)"
                " VALUES ($1, 'mint', $2, $3, 1, $4, $5, $6, $6)",
                uuid.uuid4(), mint_row["debit_account"], mint_row["credit_account"], wallet,
                mint_row["deposit_id"], uuid.uuid4(),
            )  # fmt: skip
        with pytest.raises(asyncpg.UniqueViolationError):  # a second hold for one redemption
            await conn.execute(
                "INSERT INTO holds (redemption_id, state, released_by)"
                " VALUES ($1, 'cancelled', $1)",
                redemption,
            )
        with pytest.raises(asyncpg.CheckViolationError):  # a cancellation holds nothing
            await conn.execute(
                "INSERT INTO holds (redemption_id, state, hold_id, wallet_id, amount, released_by)"
                " VALUES ($1, 'cancelled', $1, $1, 1, $1)",
                uuid.uuid4(),
            )
