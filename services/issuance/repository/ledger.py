"""The journal: every movement posted to both its accounts, and the supply read from them."""

from __future__ import annotations

import uuid

from services.issuance.domain.ledger import Movement
from services.issuance.domain.supply import Supply
from services.runtime.db import Connection


class Ledger:
    """The journal and the account balances it moves."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def post(
        self, movement: Movement, command_id: uuid.UUID, correlation_id: uuid.UUID
    ) -> None:
        """Journal one movement and apply it to both accounts, in one statement. The accounts
        must be locked by the caller already; their CHECK constraints refuse an overdraft."""
        status = await self._conn.execute(
            """
            WITH journal AS (
                INSERT INTO movements (movement_id, kind, debit_account, credit_account, amount,
                                       wallet_id, deposit_id, redemption_id, command_id,
                                       correlation_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            )
            UPDATE accounts
               SET balance = balance + CASE WHEN account = $4 THEN $5::bigint ELSE -$5::bigint END
             WHERE account IN ($3, $4)
            """,
            movement.movement_id, movement.kind, movement.debit, movement.credit, movement.amount,
            movement.wallet_id, movement.deposit_id, movement.redemption_id, command_id,
            correlation_id,
        )  # fmt: skip
        if status != "UPDATE 2":
            raise RuntimeError(f"movement {movement.movement_id}: accounts missing ({status})")


async def supply(conn: Connection) -> Supply:
    """Balances and journal totals read in one snapshot (one statement)."""
    row = await conn.fetchrow(
        """
        SELECT
          (SELECT -balance FROM accounts WHERE account = 'issuer:minted')        AS minted,
          (SELECT balance FROM accounts WHERE account = 'issuer:burned')         AS burned,
          (SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'wallet') AS balances,
          (SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'hold')   AS holds,
          (SELECT coalesce(sum(amount), 0) FROM movements WHERE kind = 'mint')   AS journal_minted,
          (SELECT coalesce(sum(amount), 0) FROM movements WHERE kind = 'burn')   AS journal_burned,
          (SELECT coalesce(sum(amount), 0) FROM holds WHERE state = 'placed')    AS placed_holds,
          (SELECT coalesce(sum(balance), 0) FROM accounts)                       AS accounts_sum
        """
    )
    assert row is not None
    return Supply(**{key: int(value) for key, value in dict(row).items()})
