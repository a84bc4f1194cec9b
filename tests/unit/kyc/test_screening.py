"""Fuzzy sanctions matching: names and aliases, then date of birth and nationality."""

from __future__ import annotations

import datetime as dt

import pytest

from services.kyc.domain.screening import SanctionsEntry, Screener, Subject, Thresholds
from services.kyc.domain.text import normalise
from tests.unit.kyc.subjects import person

LISTED = SanctionsEntry(
    ref="XXi.901",
    kind="individual",
    names=("VIKTOR ANSELM KRALLENBERG", "Viktor Krallenburg"),
    birth_dates=("1968-04-12",),
    nationalities=("PA",),
)
ENTITY = SanctionsEntry(ref="XXe.801", kind="entity", names=("BLUE HERON MARITIME TRADING LTD",))
SCREENER = Screener("test:1", [LISTED, ENTITY])
THRESHOLDS = Thresholds(review=80, reject=92)


def test_normalise_ignores_case_accents_and_punctuation() -> None:
    assert normalise("  KRALLENBÉRG,  Viktor-Anselm ") == "krallenberg viktor anselm"


def test_word_order_accents_and_case_do_not_hide_a_listed_name() -> None:
    match = SCREENER.screen(person("krallenbérg, VIKTOR anselm", dt.date(1968, 4, 12), "PA"))
    assert match.entry_ref == "XXi.901"
    assert THRESHOLDS.outcome(match.score) == "hit"


def test_an_alias_matches() -> None:
    match = SCREENER.screen(person("Viktor Krallenburg"))
    assert match.entry_ref == "XXi.901"
    assert match.score == 100


def test_a_different_birth_year_and_nationality_weaken_a_similar_name() -> None:
    confirmed = SCREENER.screen(person("Viktor Anselm Krallenberg", dt.date(1968, 4, 12), "PA"))
    same_year = SCREENER.screen(person("Viktor Anselm Krallenberg", dt.date(1968, 1, 1), None))
    weakened = SCREENER.screen(person("Viktor Anselm Krallenberg", dt.date(1990, 1, 1), "HK"))
    assert confirmed.score == 100
    assert same_year.score == 100
    assert weakened.score == 75
    assert THRESHOLDS.outcome(weakened.score) == "clear"


def test_an_unrelated_name_is_clear() -> None:
    assert SCREENER.screen(person("Chan Tai Man")).score == 0


def test_people_are_matched_with_people_and_companies_with_entities() -> None:
    assert SCREENER.screen(person("Blue Heron Maritime Trading Ltd")).entry_ref is None
    company = Subject("entity", ("Blue Heron Maritime Trading Limited",))
    assert SCREENER.screen(company).entry_ref == "XXe.801"


@pytest.mark.parametrize(
    ("score", "outcome"), [(0, "clear"), (79, "clear"), (80, "review"), (91, "review"), (92, "hit")]
)
def test_thresholds(score: int, outcome: str) -> None:
    assert THRESHOLDS.outcome(score) == outcome


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="review <= reject"):
        Thresholds(review=95, reject=90)
