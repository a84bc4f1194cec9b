"""Quote requests (`quotes`): what the saga asked FX for each redemption and the answer it
gave the holder. Locked and read for a whole batch in one query (`lock_all`), then read
from here; what this transaction writes is kept current."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import replace

from services.redemption.domain.quotes import QuoteRequest
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class Quotes:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._known = KeyedRows(self._lock)

    async def _lock(self, redemption_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, QuoteRequest]]:
        rows = await self._connection.fetch(
            f"{_QUOTE} WHERE redemption_id = ANY($1::uuid[]) ORDER BY redemption_id FOR UPDATE",
            redemption_ids,
        )
        return [(row["redemption_id"], QuoteRequest(**dict(row))) for row in rows]

    async def lock_all(self, redemption_ids: Iterable[uuid.UUID]) -> None:
        await self._known.load(redemption_ids)

    async def get(self, redemption_id: uuid.UUID) -> QuoteRequest | None:
        return await self._known.get(redemption_id)

    async def add(self, request: QuoteRequest) -> bool:
        """Store a new request; False if one exists for this redemption."""
        status = await self._connection.execute(
            """
            INSERT INTO quotes (redemption_id, customer_id, wallet_id, amount_minor,
                                payout_currency, status)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (redemption_id) DO NOTHING
            """,
            request.redemption_id,
            request.customer_id,
            request.wallet_id,
            request.amount_minor,
            request.payout_currency,
            request.status,
        )
        added = bool(status.endswith(" 1"))
        if added:
            self._known.put(request.redemption_id, request)
        return added

    async def settle(
        self,
        request: QuoteRequest,
        quote_id: uuid.UUID | None,
        status: str,
        outcome: bytes,
        expires_at: dt.datetime | None = None,
    ) -> None:
        await self._connection.execute(
            """
            UPDATE quotes SET quote_id = $2, status = $3, outcome = $4, expires_at = $5
             WHERE redemption_id = $1
            """,
            request.redemption_id,
            quote_id,
            status,
            outcome,
            expires_at,
        )
        settled = replace(
            request, quote_id=quote_id, status=status, outcome=outcome, expires_at=expires_at
        )
        self._known.put(request.redemption_id, settled)

    async def flush(self, commit: AtCommit) -> None:
        """Nothing staged (its writes go at once); what it read ends with the transaction."""
        self._known.clear()


_QUOTE = """
SELECT redemption_id, customer_id, wallet_id, amount_minor, payout_currency, quote_id,
       status, outcome, expires_at
  FROM quotes"""
