"""The balances of the accounts a transaction locked."""

from __future__ import annotations

from collections.abc import Iterable

from services.issuance.domain.ledger import ISSUER_BURNED, ISSUER_MINTED, Movement
from services.runtime.db import Connection
from services.runtime.rows import KeyedRows
from services.runtime.unit_of_work import AtCommit


class Balances:
    """The balances of the accounts a transaction locked, kept in step with its movements.

    A batch's `prepare` locks the issuer's totals and its wallets up front (the issuer's
    first, then the wallets in account order, so no two batches wait on each other in a
    cycle); the handlers then read balances from here, not with a locking read each (a
    mint, a hold and a burn each asked one or two). Every balance change of the
    transaction goes through `post`, which moves the balances here too, so they stay what
    the table says; the locks keep every other transaction out until the commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows = KeyedRows(self._lock)

    async def _lock(self, accounts: list[str], descending: bool = False) -> list[tuple[str, int]]:
        order = "DESC" if descending else "ASC"
        rows = await self._conn.fetch(
            "SELECT account, balance FROM accounts WHERE account = ANY($1::text[])"
            f" ORDER BY account {order} FOR UPDATE",
            accounts,
        )
        return [(row["account"], row["balance"]) for row in rows]

    async def lock(self, accounts: Iterable[str]) -> None:
        """Lock and read the accounts not locked yet, in one query, in account order. A
        wallet's lock also orders concurrent holds and mints of one wallet across replicas,
        whatever partition a command took."""
        await self._rows.load(accounts)

    async def of(self, account: str) -> int | None:
        """The locked account's balance, or None without such an account."""
        return await self._rows.get(account)

    async def issuer(self) -> tuple[int, int]:
        """The minted and burned totals, locked (always in this order, minted first: the
        reverse of account order): mints and burns serialise here, so the supply a mint
        checks against the reserve is exact."""
        wanted = [a for a in (ISSUER_MINTED, ISSUER_BURNED) if a not in self._rows]
        if wanted:
            for account, balance in await self._lock(wanted, descending=True):
                self._rows.put(account, balance)
        minted, burned = self._rows.known(ISSUER_MINTED), self._rows.known(ISSUER_BURNED)
        assert minted is not None, "the issuer's accounts exist"
        assert burned is not None, "the issuer's accounts exist"
        return -minted, burned

    def moved(self, movement: Movement) -> None:
        for account, change in (
            (movement.credit, movement.amount),
            (movement.debit, -movement.amount),
        ):
            balance = self._rows.known(account)
            if balance is not None:
                self._rows.put(account, balance + change)

    async def flush(self, commit: AtCommit) -> None:
        """Nothing to write: the movements wrote the balances."""
        self._rows.clear()
