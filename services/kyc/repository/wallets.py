"""Wallets: EVM addresses registered to customers, their proof of control and freezes."""

from __future__ import annotations

import uuid

import asyncpg

from services.kyc.domain.records import Wallet
from services.runtime.db import Connection


def wallet_of(row: asyncpg.Record) -> Wallet:
    return Wallet(
        wallet_id=row["wallet_id"],
        customer_id=row["customer_id"],
        address=row["address"],
        deposit_reference=row["deposit_reference"],
        proof_of_control=row["proof_of_control"],
        frozen=row["frozen"],
    )


class Wallets:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of(self, wallet_id: uuid.UUID, *, lock: bool = False) -> Wallet | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM wallets WHERE wallet_id = $1" + (" FOR UPDATE" if lock else ""),
            wallet_id,
        )
        return None if row is None else wallet_of(row)

    async def address_taken(self, address: str) -> bool:
        return bool(
            await self._conn.fetchval("SELECT true FROM wallets WHERE address = $1", address)
        )

    async def insert(self, wallet: Wallet, proof_signature: str | None) -> None:
        await self._conn.execute(
            """
            INSERT INTO wallets (wallet_id, customer_id, address, deposit_reference,
                                 proof_of_control, proof_signature)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            wallet.wallet_id,
            wallet.customer_id,
            wallet.address,
            wallet.deposit_reference,
            wallet.proof_of_control,
            proof_signature,
        )

    async def verify(self, wallet_id: uuid.UUID, proof_signature: str) -> None:
        await self._conn.execute(
            """
            UPDATE wallets SET proof_of_control = 'verified', proof_signature = $2,
                   updated_at = now()
             WHERE wallet_id = $1
            """,
            wallet_id,
            proof_signature,
        )

    async def set_frozen(self, wallet_id: uuid.UUID, frozen: bool, reason: str | None) -> None:
        await self._conn.execute(
            "UPDATE wallets SET frozen = $2, freeze_reason = $3, updated_at = now() "
            "WHERE wallet_id = $1",
            wallet_id,
            frozen,
            reason,
        )
