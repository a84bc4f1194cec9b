"""Two redemptions that only one fits can never both pass the limit: the check locks the
customer row, so the second check sees the first's reservation."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest

from clients.wallet import Wallet
from schemas import envelope
from schemas.kyc import CheckEligibility
from services.kyc.repository.sanctions import Prepared
from services.kyc.repository.work import SqlWork
from services.kyc.settings import KycSettings
from services.kyc.use_cases.eligibility import check_eligibility
from services.kyc.use_cases.work import Terms
from services.kyc.wiring import terms_from
from services.runtime.db import create_pool
from services.runtime.handlers import HandlerContext
from services.runtime.unit_of_work import UnitOfWork
from tests.integration.kyc.support import (
    KEYS,
    REPLIES,
    apply,
    check,
    events,
    person,
    verified_account,
    wallet,
    wrap,
)
from tests.support.environment import Environment
from tests.support.process import ServiceProcess

pytestmark = pytest.mark.integration


async def _seed_basic_customer(dsn: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    customer_id, wallet_id, account_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    KEYS[wallet_id] = key = Wallet()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """
            INSERT INTO customers (customer_id, kind, status, tier, due_diligence,
                                   pii_key_id, pii_ciphertext, application_id)
            VALUES ($1, 'individual', 'verified', 'basic', 'simplified', 'k', '\\x00', $1)
            """,
            customer_id,
        )
        await conn.execute(
            """
            INSERT INTO wallets (wallet_id, customer_id, address, deposit_reference,
                                 proof_of_control)
            VALUES ($1, $2, $3, 'CNH-TEST000001', 'verified')
            """,
            wallet_id,
            customer_id,
            key.address,
        )
        await conn.execute(
            """
            INSERT INTO bank_accounts (account_id, customer_id, state, pii_key_id,
                                       pii_ciphertext, registration_id)
            VALUES ($1, $2, 'verified', 'k', '\\x00', $1)
            """,
            account_id,
            customer_id,
        )
    finally:
        await conn.close()
    return customer_id, wallet_id, account_id


async def _check_in(uow: UnitOfWork, terms: Terms, command: CheckEligibility) -> str:
    env = envelope(command, producer="test", correlation_id=command.redemption_id)
    work = SqlWork(HandlerContext.within(uow, env, "kyc"), terms, Prepared())
    reply = await check_eligibility(work, command)
    return getattr(reply, "reason", reply.TYPE)


async def test_a_concurrent_check_waits_for_the_first_and_sees_its_reservation(
    platform: Environment,
) -> None:
    dsn = await platform.database("kyc")
    customer_id, wallet_id, account = await _seed_basic_customer(dsn)
    terms = terms_from(KycSettings(service="kyc"))  # basic: 10,000 tokens per 24 hours
    pool = await create_pool(dsn, min_size=2, max_size=2)
    try:
        async with UnitOfWork(pool) as first:
            assert await _check_in(
                first, terms, check(customer_id, wallet_id, 4_000, account=account)
            ) == ("kyc.eligible")
            assert await _check_in(
                first, terms, check(customer_id, wallet_id, 4_000, account=account)
            ) == ("kyc.eligible")

            async def second() -> str:
                async with UnitOfWork(pool) as uow:
                    outcome = await _check_in(
                        uow, terms, check(customer_id, wallet_id, 4_000, account=account)
                    )
                    await uow.commit()
                    return outcome

            racing = asyncio.create_task(second())
            await asyncio.sleep(0.5)
            assert not racing.done(), "the second check did not wait for the customer lock"
            await first.commit()
        assert await asyncio.wait_for(racing, 30) == "over_daily_limit"
    finally:
        await pool.close()


async def test_two_replicas_reserve_no_more_than_the_daily_limit(platform: Environment) -> None:
    replicas = [await platform.start("kyc", "0"), await platform.start("kyc", "1")]
    customer = person("Tsang Wai Kit", due_diligence="simplified")
    registered = wallet(customer.customer_id)
    await apply(platform, customer, registered)
    await events(platform, 2)
    account = await verified_account(platform, customer.customer_id, "Tsang Wai Kit")

    await _until_both_consume(platform, replicas)

    commands = [
        check(customer.customer_id, registered.wallet_id, 4_000, account=account) for _ in range(8)
    ]
    # keyed by redemption: the checks spread over both partitions, hence both replicas
    for command in commands:
        await platform.send(
            "kyc.commands", str(command.redemption_id), wrap(platform, command, command=True)
        )
    ids = {c.redemption_id for c in commands}
    records = await platform.read(
        "redemption.replies",
        lambda rs: len({REPLIES.decode(r.value).payload.redemption_id for r in rs} & ids) == 8,
    )
    outcomes = [p for r in records if (p := REPLIES.decode(r.value).payload).redemption_id in ids]

    eligible = [o for o in outcomes if o.TYPE == "kyc.eligible"]
    assert len(eligible) == 2  # 2 x 4,000 fit the basic tier's 10,000; a third does not
    assert {getattr(o, "reason", None) for o in outcomes if o not in eligible} == {
        "over_daily_limit"
    }
    rows = await platform.query(
        "kyc",
        "SELECT sum(amount_minor) AS total, count(*) AS n FROM eligibility_checks "
        "WHERE outcome = 'reserved' AND customer_id = $1",
        customer.customer_id,
    )
    assert rows[0]["n"] == 2
    assert rows[0]["total"] == 8_000 * 10**6


async def _until_both_consume(platform: Environment, replicas: list[ServiceProcess]) -> None:
    """Probe checks (an unknown customer: refused, no reservation) until each replica has
    handled one, i.e. the group has given each replica a partition."""
    deadline = time.monotonic() + 60
    while not all("eligibility checked" in r.log_path.read_text() for r in replicas):
        assert time.monotonic() < deadline, "a replica never got a partition"
        probes = [check(uuid.uuid4(), uuid.uuid4(), 1) for _ in range(4)]
        for probe in probes:
            await platform.send(
                "kyc.commands", str(probe.redemption_id), wrap(platform, probe, command=True)
            )
        await asyncio.sleep(0.5)
