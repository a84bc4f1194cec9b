"""A batch's rows by key: read for many keys in one query, in key order, each key once."""

from __future__ import annotations

from services.runtime.rows import KeyedRows


async def test_keys_are_read_once_in_order_and_a_missing_one_is_remembered() -> None:
    queries: list[list[str]] = []

    async def read(keys: list[str]) -> list[tuple[str, int]]:
        queries.append(keys)
        return [(key, len(key)) for key in keys if key != "gone"]

    rows = KeyedRows(read)
    await rows.load(["ccc", "a", "gone", "a"])
    assert await rows.get("a") == 1
    assert await rows.get("gone") is None
    assert await rows.get("bb") == 2  # not asked for by the batch: a query of its own
    rows.put("a", 9)
    rows.forget("ccc")
    assert (await rows.get("a"), await rows.get("ccc")) == (9, 3)
    assert queries == [["a", "ccc", "gone"], ["bb"], ["ccc"]]
