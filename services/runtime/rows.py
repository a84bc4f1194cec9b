"""Rows a transaction reads by key, for a whole batch in one query.

A batch's `prepare` asks for the keys of all its messages at once (`load`); the handlers
then `get` one key each, from memory, and only a key nobody asked for costs a query of its
own. A key without a row is remembered as None, so it is not asked for twice. Whoever
changes a row in the transaction `put`s its new value (or `forget`s it, to read it again).

    holds = KeyedRows(read_holds)        # read_holds(keys) -> [(key, Hold), ...]
    await holds.load(redemption_ids)     # one query, e.g. ... = ANY($1) ORDER BY .. FOR UPDATE
    hold = await holds.get(redemption_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

K = TypeVar("K", bound="SupportsRichComparison")  # asked for in order: locks in one order
V = TypeVar("V")

Read = Callable[[list[K]], Awaitable[Iterable[tuple[K, V]]]]


class KeyedRows(Generic[K, V]):
    def __init__(self, read: Read[K, V]) -> None:
        self._read = read
        self._known: dict[K, V | None] = {}

    async def load(self, keys: Iterable[K]) -> None:
        """Read the keys not read yet, in one query, in key order."""
        wanted = sorted(set(keys) - self._known.keys())
        if not wanted:
            return
        found = dict(await self._read(wanted))
        for key in wanted:
            self._known[key] = found.get(key)

    async def get(self, key: K) -> V | None:
        if key not in self._known:
            await self.load([key])
        return self._known[key]

    def known(self, key: K) -> V | None:
        """What is known of `key` without reading (None if nothing)."""
        return self._known.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def put(self, key: K, value: V | None) -> None:
        self._known[key] = value

    def forget(self, key: K) -> None:
        self._known.pop(key, None)

    def clear(self) -> None:
        self._known.clear()
