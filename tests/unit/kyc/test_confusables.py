"""Names written in look-alike letters, invisible characters or full-width forms match as
the plain name does (the TS #39 confusables skeleton, ICU's), and the screening keeps its
fuzzy scores for everything else."""

from __future__ import annotations

import datetime as dt

import pytest

from services.kyc.domain.screening import SanctionsEntry, Screener, Subject, Thresholds
from services.kyc.domain.text import name_keys, normalise, skeleton
from tests.unit.kyc.subjects import person

LISTED = SanctionsEntry(
    ref="XXi.901",
    kind="individual",
    names=("VIKTOR ANSELM KRALLENBERG",),
    birth_dates=("1968-04-12",),
    nationalities=("PA",),
)
SCREENER = Screener("test:1", [LISTED])
THRESHOLDS = Thresholds(review=80, reject=92)

CYRILLIC_A = "\u0430"
CYRILLIC_E = "\u0435"
CYRILLIC_CAPITAL_KA = "\u041a"
GREEK_OMICRON = "\u03bf"
GREEK_CAPITAL_KAPPA = "\u039a"
ZERO_WIDTH_JOINER = "\u200d"
ZERO_WIDTH_SPACE = "\u200b"
SOFT_HYPHEN = "\u00ad"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" for c in text)


@pytest.mark.parametrize(
    "written",
    [
        f"Viktor Anselm Kr{CYRILLIC_A}llenberg",  # Cyrillic small a for Latin a
        f"Vikt{GREEK_OMICRON}r Anselm Krallenberg",  # Greek small omicron for o
        f"Viktor Anselm {CYRILLIC_CAPITAL_KA}rall{CYRILLIC_E}nb{CYRILLIC_E}rg",  # capital too
        f"VIKTOR ANSELM {GREEK_CAPITAL_KAPPA}RALLENBERG",
        f"Vik{ZERO_WIDTH_JOINER}tor Ans{ZERO_WIDTH_SPACE}elm Kral{SOFT_HYPHEN}lenberg",
        full_width("VIKTOR ANSELM KRALLENBERG"),
        full_width("Viktor Anselm ") + f"Kr{CYRILLIC_A}l{ZERO_WIDTH_JOINER}lenberg",
    ],
)
def test_a_look_alike_spelling_matches_as_the_plain_name(written: str) -> None:
    plain = SCREENER.screen(person("Viktor Anselm Krallenberg"))
    match = SCREENER.screen(person(written))
    assert (match.entry_ref, match.score) == (plain.entry_ref, plain.score) == ("XXi.901", 100)
    assert THRESHOLDS.outcome(match.score) == "hit"


def test_birth_date_and_nationality_still_weigh_on_a_look_alike_spelling() -> None:
    written = f"Viktor Ans{ZERO_WIDTH_SPACE}elm Kr{CYRILLIC_A}llenberg"
    confirmed = Subject("individual", (written,), dt.date(1968, 4, 12), "PA")
    weakened = Subject("individual", (written,), dt.date(1990, 1, 1), "HK")
    assert SCREENER.screen(confirmed).score == 100
    assert SCREENER.screen(weakened).score == 75  # as for the plain spelling
    assert THRESHOLDS.outcome(SCREENER.screen(weakened).score) == "clear"


def test_the_listed_name_in_look_alikes_matches_a_plain_customer() -> None:
    # the list side is keyed the same way: a list that spells a name with look-alikes
    disguised = SanctionsEntry(
        ref="XXi.909", kind="individual", names=(f"Wong Siu {CYRILLIC_CAPITAL_KA}ei",)
    )
    match = Screener("test:2", [disguised]).screen(person("WONG SIU KEI"))
    assert (match.entry_ref, match.score) == ("XXi.909", 100)


def test_without_the_skeleton_a_look_alike_spelling_hides_the_name() -> None:
    # What the skeleton is for: the plain key keeps the Cyrillic letter apart.
    written = f"Kr{CYRILLIC_A}llenberg"
    assert normalise(written) != normalise("Krallenberg")
    assert name_keys(written).lower == name_keys("Krallenberg").lower


def test_the_skeleton_is_icus_reference_one() -> None:
    assert skeleton(f"{CYRILLIC_CAPITAL_KA}r{CYRILLIC_A}ll{CYRILLIC_E}nb{CYRILLIC_E}rg") == (
        "Krallenberg"
    )
    assert skeleton("m") == "rn"  # confusables.txt, not a hand table


def test_invisible_characters_and_width_fold_away_before_matching() -> None:
    keys = name_keys(full_width("Chan") + f" T{ZERO_WIDTH_SPACE}ai M{SOFT_HYPHEN}an")
    assert keys.plain == "chan tai man"
    assert keys == name_keys("CHAN TAI MAN")


def test_a_capital_i_and_l_are_kept_apart_from_each_other_by_case() -> None:
    # The capital skeleton maps "I" to "l"; folding case after it would also merge "L".
    assert name_keys("NEIL").upper != name_keys("NELL").upper
    assert name_keys("Neil").upper == name_keys("NEIL").upper


@pytest.mark.parametrize("name", ["Chan Tai Man", "Mohammed Rahman", "Victoria Allen Berg"])
def test_unrelated_names_stay_clear(name: str) -> None:
    assert THRESHOLDS.outcome(SCREENER.screen(person(name)).score) == "clear"


def test_an_entry_keyed_when_loaded_matches_as_one_keyed_on_the_fly() -> None:
    keyed = SanctionsEntry(
        ref=LISTED.ref,
        kind="individual",
        names=LISTED.names,
        birth_dates=LISTED.birth_dates,
        nationalities=LISTED.nationalities,
        keys=tuple(name_keys(n) for n in LISTED.names),
    )
    subject = person(f"Vikt{GREEK_OMICRON}r Anselm Krallenberg")
    assert Screener("keyed", [keyed]).screen(subject) == SCREENER.screen(subject)
