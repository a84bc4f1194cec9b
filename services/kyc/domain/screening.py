"""Sanctions screening: fuzzy name matching, confirmed or weakened by date of birth and
nationality.

The name score is rapidfuzz's token-sort ratio (0-100) between normalised names, so case,
accents, punctuation and word order do not matter; the best pair over the subject's names
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

from services.kyc.domain.text import normalise

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


@dataclass
class Screener:
    """A list version prepared for matching: every normalised name points at its entry."""

    version: str
    entries: Sequence[SanctionsEntry]
    _names: list[str] = field(init=False, repr=False)
    _owners: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._names, self._owners = [], []
        for index, entry in enumerate(self.entries):
            for name in dict.fromkeys(normalise(n) for n in entry.names):
                if name:
                    self._names.append(name)
                    self._owners.append(index)

    def screen(self, subject: Subject) -> Match:
        best = Match(0, None)
        name_scores: dict[int, float] = {}
        for name in filter(None, (normalise(n) for n in subject.names)):
            for _, score, position in process.extract(
                name,
                self._names,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=NAME_FLOOR,
                limit=None,
            ):
                owner = self._owners[position]
                name_scores[owner] = max(name_scores.get(owner, 0.0), score)
        for owner, name_score in name_scores.items():
            entry = self.entries[owner]
            if entry.kind != subject.kind:
                continue
            score = adjusted_score(name_score, entry, subject)
            if score > best.score:
                best = Match(score, entry.ref)
        return best


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
