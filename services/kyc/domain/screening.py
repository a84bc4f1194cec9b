"""Sanctions screening: fuzzy name matching, confirmed or weakened by date of birth and
nationality, against every active list at once.

The name score is rapidfuzz's token-sort ratio (0-100) between the keys of two names
(text.py: plain, and the confusables skeletons of either case), each key compared with
keys of its own kind, so case, accents, punctuation, width, invisible characters,
look-alike letters and word order do not matter; the best pair over the subject's names
and aliases and the entry's names and aliases counts. Then:
- date of birth: the same date +8, the same year +4, every listed year different -15;
- nationality: listed and the same +4, listed and different -10.
The result is clamped to 0..100 and compared with the review and reject thresholds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from services.kyc.domain.text import NameKeys, name_keys

EntryKind = Literal["individual", "entity"]
Outcome = Literal["clear", "review", "hit"]

NAME_FLOOR = 60
"""Names scoring below this cannot reach review even with every bonus: not worth scoring."""


@dataclass(frozen=True)
class SanctionsEntry:
    """One listed person or entity, as loaded from a published list."""

    ref: str
    kind: EntryKind
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    """ISO dates (YYYY-MM-DD)."""
    birth_years: tuple[int, ...] = ()
    nationalities: tuple[str, ...] = ()
    """ISO 3166 alpha-2 codes."""
    version: str = ""
    """The list version it was published in."""
    keys: tuple[NameKeys, ...] = ()
    """The names' keys, computed when the list was loaded; empty: computed when needed."""


@dataclass(frozen=True)
class Subject:
    """Who is screened: a customer's names and identifying facts (kept in memory only)."""

    kind: EntryKind
    names: tuple[str, ...]
    birth_date: dt.date | None = None
    nationality: str | None = None


@dataclass(frozen=True)
class Match:
    score: int
    entry_ref: str | None
    entry_version: str | None = None


@dataclass(frozen=True)
class Thresholds:
    review: int
    reject: int

    def __post_init__(self) -> None:
        if not 0 <= self.review <= self.reject <= 100:
            raise ValueError("screening thresholds need 0 <= review <= reject <= 100")

    def outcome(self, score: int) -> Outcome:
        if score >= self.reject:
            return "hit"
        if score >= self.review:
            return "review"
        return "clear"


KEY_KINDS = ("plain", "lower", "upper")


@dataclass
class Screener:
    """The active lists prepared for matching: every name key points at its entry.

    `version` names what a screening was done against (every active list version)."""

    version: str
    entries: Sequence[SanctionsEntry]
    _keys: dict[str, tuple[list[str], list[int]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._keys = {kind: ([], []) for kind in KEY_KINDS}
        for index, entry in enumerate(self.entries):
            keys = entry.keys or tuple(name_keys(n) for n in entry.names)
            for kind, (found, owners) in self._keys.items():
                for key in dict.fromkeys(_token_sorted(getattr(k, kind)) for k in keys):
                    if key:
                        found.append(key)
                        owners.append(index)

    def screen(self, subject: Subject) -> Match:
        best = Match(0, None)
        name_scores: dict[int, float] = {}
        for keys in (name_keys(n) for n in subject.names):
            for kind, (found, owners) in self._keys.items():
                key = _token_sorted(getattr(keys, kind))
                if not key:
                    continue
                # the token-sort ratio, with the list's tokens sorted once, not per pair
                for _, score, position in process.extract(
                    key, found, scorer=fuzz.ratio, score_cutoff=NAME_FLOOR, limit=None
                ):
                    owner = owners[position]
                    name_scores[owner] = max(name_scores.get(owner, 0.0), score)
        for owner, name_score in sorted(name_scores.items()):
            entry = self.entries[owner]
            if entry.kind != subject.kind:
                continue
            score = adjusted_score(name_score, entry, subject)
            if score > best.score:
                best = Match(score, entry.ref, entry.version or None)
        return best


def _token_sorted(key: str) -> str:
    return " ".join(sorted(key.split()))


def adjusted_score(name_score: float, entry: SanctionsEntry, subject: Subject) -> int:
    score = name_score + _birth_adjustment(entry, subject.birth_date)
    score += _nationality_adjustment(entry.nationalities, subject.nationality)
    return max(0, min(100, round(score)))


def _birth_adjustment(entry: SanctionsEntry, birth_date: dt.date | None) -> int:
    if birth_date is None or entry.kind != "individual":
        return 0
    if birth_date.isoformat() in entry.birth_dates:
        return 8
    years = set(entry.birth_years) | {int(d[:4]) for d in entry.birth_dates}
    if not years:
        return 0
    return 4 if birth_date.year in years else -15


def _nationality_adjustment(listed: Iterable[str], nationality: str | None) -> int:
    codes = set(listed)
    if nationality is None or not codes:
        return 0
    return 4 if nationality in codes else -10
