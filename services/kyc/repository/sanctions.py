"""Sanctions lists (every version loaded, one active per source) and the screenings of
customers against them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from services.kyc.domain.lists import KnownVersion, ParsedList, screening_set
from services.kyc.domain.records import ActiveList, Screening
from services.kyc.domain.screening import Match, Outcome, SanctionsEntry, Screener
from services.kyc.domain.text import KEYS_VERSION, NameKeys
from services.runtime.db import Connection
from services.runtime.logging import get_logger

log = get_logger(__name__)

_SANCTIONS_LOCK = 0x6B79_6373_616E_6374  # "kycsanct": any advisory lock id, fixed
"""Held by whoever changes the active lists, so loads and re-activations (any replica,
any operator) apply one after the other, each re-screening against what it activated."""

_ENTRY_COLUMNS = (
    "version", "ref", "kind", "names", "birth_dates", "birth_years", "nationalities",
    "keys_plain", "keys_lower", "keys_upper",
)  # fmt: skip


@dataclass
class Prepared:
    """The process's screener: every active list prepared for matching once, rebuilt when
    the set of active versions changes (shared by every batch's work)."""

    screener: Screener | None = None


class SanctionsLists:
    def __init__(self, conn: Connection, prepared: Prepared | None = None) -> None:
        self._conn = conn
        self._prepared = prepared or Prepared()

    async def lock(self) -> None:
        """Changing the active lists: one change at a time, no screening meanwhile."""
        await self._conn.execute("SELECT pg_advisory_xact_lock($1)", _SANCTIONS_LOCK)

    async def share_lock(self) -> None:
        """Screening against the active lists: any number at once, never during a change."""
        await self._conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _SANCTIONS_LOCK)

    async def catalogue(self) -> list[KnownVersion]:
        """Every list version loaded, active or not (a few rows per source and publication)."""
        rows = await self._conn.fetch("SELECT version, source, sha256, active FROM sanctions_lists")
        return [KnownVersion(r["version"], r["source"], r["sha256"], r["active"]) for r in rows]

    async def active(self) -> list[ActiveList]:
        """The version each source screens with, and the key version of its entries."""
        rows = await self._conn.fetch(
            "SELECT version, keys_version FROM sanctions_lists WHERE active ORDER BY version"
        )
        return [ActiveList(r["version"], r["keys_version"]) for r in rows]

    async def active_screener(self) -> Screener | None:
        """Every active list, prepared once per set of versions and process; None when no
        list is active."""
        lists = await self.active()
        if not lists:
            return None
        versions = [a.version for a in lists]
        known = self._prepared.screener
        if known is None or known.version != screening_set(versions):
            self._prepared.screener = known = await self.screener_of(versions)
            log.info(
                "sanctions lists active",
                list_versions=versions,
                entries=len(known.entries),
                keys_computed_again=[a.version for a in lists if a.keys_version != KEYS_VERSION],
            )
        return known

    async def screener_of(self, versions: list[str]) -> Screener:
        """`versions` prepared for matching, their entries with their stored keys where they
        were computed under the current KEYS_VERSION (otherwise the screener computes them)."""
        rows = await self._conn.fetch(
            """
            SELECT e.*, l.keys_version = $2 AS keyed
              FROM sanctions_entries e JOIN sanctions_lists l USING (version)
             WHERE e.version = ANY($1::text[])
             ORDER BY e.version, e.ref
            """,
            versions,
            KEYS_VERSION,
        )
        return Screener(screening_set(versions), [_entry(r) for r in rows])

    async def insert(self, parsed: ParsedList) -> None:
        """A new version, inactive until `activate`; its entries by COPY."""
        await self._conn.execute(
            """
            INSERT INTO sanctions_lists (version, source, sha256, entries, published,
                                         keys_version)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            parsed.version,
            parsed.source,
            parsed.sha256,
            len(parsed.entries),
            parsed.published or None,
            KEYS_VERSION,
        )
        await self._conn.copy_records_to_table(
            "sanctions_entries",
            columns=_ENTRY_COLUMNS,
            records=[
                (
                    parsed.version,
                    e.ref,
                    e.kind,
                    list(e.names),
                    list(e.birth_dates),
                    list(e.birth_years),
                    list(e.nationalities),
                    [k.plain for k in e.keys],
                    [k.lower for k in e.keys],
                    [k.upper for k in e.keys],
                )
                for e in parsed.entries
            ],
        )

    async def activate(self, version: str, replaces: str | None) -> None:
        """`version` becomes its source's active version in place of `replaces` (two
        statements: the one-active-per-source index is checked row by row)."""
        if replaces is not None:
            await self._conn.execute(
                "UPDATE sanctions_lists SET active = false WHERE version = $1", replaces
            )
        await self._conn.execute(
            "UPDATE sanctions_lists SET active = true, activated_at = now() WHERE version = $1",
            version,
        )


def _entry(r: asyncpg.Record) -> SanctionsEntry:
    return SanctionsEntry(
        ref=r["ref"],
        kind=r["kind"],
        names=tuple(r["names"]),
        birth_dates=tuple(r["birth_dates"]),
        birth_years=tuple(r["birth_years"]),
        nationalities=tuple(r["nationalities"]),
        version=r["version"],
        keys=tuple(map(NameKeys, r["keys_plain"], r["keys_lower"], r["keys_upper"]))
        if r["keyed"]
        else (),
    )


async def versions(conn: Connection) -> list[asyncpg.Record]:
    """Every version for the operators' listing: the active one of each source first."""
    return await conn.fetch(
        """
        SELECT version, source, published, sha256, entries, loaded_at, activated_at, active
          FROM sanctions_lists ORDER BY source, active DESC, loaded_seq DESC
        """
    )


class Screenings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def last(self, customer_id: uuid.UUID) -> Screening | None:
        row = await self._conn.fetchrow(
            "SELECT entry_ref, outcome FROM screenings WHERE customer_id = $1 "
            "ORDER BY id DESC LIMIT 1",
            customer_id,
        )
        return None if row is None else Screening(row["entry_ref"], row["outcome"])

    async def record(
        self,
        customer_id: uuid.UUID,
        list_version: str,
        match: Match,
        outcome: Outcome,
    ) -> None:
        """`list_version`: what was screened against (every active list); the match's
        `entry_version`: the list the best match is on."""
        await self._conn.execute(
            """
            INSERT INTO screenings (customer_id, list_version, score, entry_ref, outcome,
                                    entry_version)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (customer_id, list_version) DO NOTHING
            """,
            customer_id,
            list_version,
            match.score,
            match.entry_ref,
            outcome,
            match.entry_version,
        )
