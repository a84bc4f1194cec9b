"""Mints per second through the real issuance service: `python -m bench.issuance_mints`.

Starts `python -m services.issuance` against the local Kafka and PostgreSQL in a fresh topic
namespace and database (tests/support/environment.py), registers WALLETS verified wallets
through kyc.events and N deposits through settlement's facts (settlement.events, recorded
before the clock starts), then sends N MintForDeposit commands (keyed by wallet) and times
from the first send to the last reply on settlement.replies.
Environment: BENCH_MINTS (default 5000), BENCH_WALLETS (default 200).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from eth_utils.address import to_checksum_address

from schemas import Codec, Envelope, envelope
from schemas.issuance import Minted, MintForDeposit, MintRejected
from schemas.kyc import CustomerVerified, WalletRegistered
from schemas.money import Money
from tests.integration.issuance.conftest import deposit_facts
from tests.support.environment import Environment
from tests.support.servers import find_servers

MINTS = int(os.environ.get("BENCH_MINTS", "5000"))
WALLETS = int(os.environ.get("BENCH_WALLETS", "200"))
REPLIES = Codec([Minted, MintRejected])


async def main() -> None:
    with find_servers() as servers, tempfile.TemporaryDirectory() as logs:
        env = await Environment.create(servers, Path(logs))
        try:
            await env.start("issuance")
            wallets = await _onboard(env)
            elapsed, minted = await _mint(env, wallets)
            print(
                f"issuance: {minted} mints of {MINTS} in {elapsed:.2f} s = "
                f"{MINTS / elapsed:,.0f} mints/s (first send to last reply; "
                f"{WALLETS} wallets, batch <= 500, one transaction per batch)"
            )
        finally:
            await env.close()


async def _onboard(env: Environment) -> list[tuple[uuid.UUID, uuid.UUID]]:
    pairs = [(uuid.uuid4(), uuid.uuid4()) for _ in range(WALLETS)]
    for customer, wallet in pairs:
        await env.send(
            "kyc.events",
            str(customer),
            *(
                envelope(event, producer="kyc", correlation_id=customer)
                for event in (
                    CustomerVerified(customer_id=customer, tier="basic", due_diligence="standard"),
                    WalletRegistered(
                        customer_id=customer, wallet_id=wallet,
                        address=to_checksum_address("0x" + wallet.hex + wallet.hex[:8]),
                        deposit_reference="CNH-" + wallet.hex[:10].upper(),
                        proof_of_control="verified",
                    ),
                )
            ),
        )  # fmt: skip
    while True:
        rows = await env.query("issuance", "SELECT count(*) AS n FROM wallets")
        if rows[0]["n"] == WALLETS:
            return pairs
        await asyncio.sleep(0.1)


async def _mint(env: Environment, wallets: list[tuple[uuid.UUID, uuid.UUID]]) -> tuple[float, int]:
    replies_topic = env.topic("settlement.replies")
    consumer = AIOKafkaConsumer(
        replies_topic,
        **env.servers.reader.client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    # settlement is the writer of mint commands
    producer = AIOKafkaProducer(
        **env.servers.kafka_as("settlement").client_options(), enable_idempotence=True
    )
    await producer.start()
    reserve = Money(amount_minor=10**15, currency="CNH")
    records: list[tuple[bytes, bytes]] = []
    facts: list[tuple[bytes, Envelope[Any]]] = []
    for i in range(MINTS):
        customer, wallet = wallets[i % len(wallets)]
        deposit = uuid.uuid4()
        mint = MintForDeposit(
            deposit_id=deposit, customer_id=customer, wallet_id=wallet,
            amount=Money(amount_minor=100_000_000, currency="XCNH"), reserve_balance=reserve,
        )  # fmt: skip
        command = envelope(
            mint, producer="settlement", correlation_id=deposit, reply_to=replies_topic
        )
        records.append((str(wallet).encode(), command.to_bytes()))
        facts.extend(
            (str(deposit).encode(), envelope(f, producer="settlement", correlation_id=deposit))
            for f in deposit_facts(mint)
        )
    try:
        told = [
            await producer.send(env.topic("settlement.events"), f.to_bytes(), key=k)
            for k, f in facts
        ]
        await asyncio.gather(*told)
        await _recorded(env, MINTS)
        started = time.monotonic()
        sends = [await producer.send(env.topic("issuance.mints"), v, key=k) for k, v in records]
        await asyncio.gather(*sends)
        seen: set[uuid.UUID] = set()
        minted = 0
        while len(seen) < MINTS:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                for record in batch:
                    reply = REPLIES.decode(record.value)
                    if reply.causation_id and reply.causation_id not in seen:
                        seen.add(reply.causation_id)
                        minted += isinstance(reply.payload, Minted)
            if time.monotonic() - started > 600:
                raise TimeoutError(f"only {len(seen)} replies of {MINTS}")
        return time.monotonic() - started, minted
    finally:
        await producer.stop()
        await consumer.stop()


async def _recorded(env: Environment, deposits: int) -> None:
    """Until issuance has recorded every deposit's facts (not part of what is timed)."""
    while True:
        rows = await env.query("issuance", "SELECT count(*) AS n FROM deposits")
        if rows[0]["n"] >= deposits:
            return
        await asyncio.sleep(0.1)


if __name__ == "__main__":
    asyncio.run(main())
