"""Reading published sanctions lists in their real formats (invented entries), and which
versions are active: one per source, every source at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kyc.domain.lists import (
    HK_CEDB,
    OFAC_SDN,
    UN,
    KnownVersion,
    ListFormatError,
    ParsedList,
    UnknownVersion,
    active_versions,
    parse_files,
    parse_hk_xml,
    parse_list,
    parse_ofac_csv,
    parse_un_xml,
    plan_activation,
    plan_load,
    screening_set,
)
from services.kyc.domain.text import name_keys

FIXTURES = Path(__file__).parents[3] / "services" / "kyc" / "fixtures"


def test_the_un_consolidated_list_xml() -> None:
    parsed = parse_un_xml((FIXTURES / "un_consolidated_sample.xml").read_bytes())
    by_ref = {e.ref: e for e in parsed.entries}
    assert parsed.version.startswith("un-consolidated:2026-01-05:")
    assert parsed.published == "2026-01-05"
    viktor = by_ref["XXi.901.26"]
    assert viktor.kind == "individual"
    assert viktor.names == ("VIKTOR ANSELM KRALLENBERG", "Viktor Krallenburg", "The Heron")
    assert viktor.birth_dates == ("1968-04-12",)
    assert viktor.nationalities == ("PA",)
    assert by_ref["XXi.902.26"].birth_years == (1975,)
    assert by_ref["XXi.903.26"].birth_years == (1960, 1961, 1962, 1963)  # FROM_YEAR..TO_YEAR
    heron = by_ref["XXe.801.26"]
    assert (heron.kind, heron.names[1], heron.nationalities) == (
        "entity",
        "Blue Heron Shipping",
        ("SC",),
    )


def test_the_ofac_sdn_csv_with_its_aliases() -> None:
    parsed = parse_ofac_csv(
        (FIXTURES / "ofac_sdn_sample.csv").read_bytes(),
        (FIXTURES / "ofac_alt_sample.csv").read_bytes(),
    )
    by_ref = {e.ref: e for e in parsed.entries}
    assert set(by_ref) == {"SDN-9990001", "SDN-9990002", "SDN-9990004"}  # the vessel skipped
    viktor = by_ref["SDN-9990001"]
    assert viktor.names == ("KRALLENBERG, Viktor Anselm", "KRALLENBURG, Viktor")
    assert viktor.birth_dates == ("1968-04-12",)
    assert viktor.nationalities == ("PA",)
    assert by_ref["SDN-9990002"].kind == "entity"
    assert by_ref["SDN-9990004"].birth_years == (1975,)
    assert parsed.published == ""  # sdn.csv carries no publication date


def test_the_same_bytes_are_the_same_version_and_other_bytes_another() -> None:
    data = (FIXTURES / "un_consolidated_sample.xml").read_bytes()
    update = (FIXTURES / "un_consolidated_update.xml").read_bytes()
    assert parse_un_xml(data).version == parse_un_xml(data).version
    assert parse_un_xml(data).version != parse_un_xml(update).version


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("list.xml", b"<not-closed"),
        ("list.xml", b"<OTHER_LIST/>"),
        ("list.xml", b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"),  # empty
        ("sdn.csv", b"1,only two\r\n"),
        ("list.json", b"{}"),
        ("sdn.csv", b""),
        ("sdn.csv", (FIXTURES / "un_consolidated_sample.xml").read_bytes()),
        ("list.xml", b"\x00\xff binary"),
    ],
)
def test_a_file_that_is_not_a_list_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(ListFormatError):
        parse_list(name, data)


def test_a_file_of_another_source_or_an_unknown_source_is_refused() -> None:
    sdn = (FIXTURES / "ofac_sdn_sample.csv").read_bytes()
    with pytest.raises(ListFormatError, match="not well-formed"):
        parse_files(UN, [sdn])
    with pytest.raises(ListFormatError, match="unknown source"):
        parse_files("eu-fsf", [sdn])
    with pytest.raises(ListFormatError, match="one file"):
        parse_files(UN, [sdn, sdn])
    with pytest.raises(ListFormatError, match="no INDIVIDUAL or ENTITY"):
        parse_hk_xml([b"<CONSOLIDATED_LIST/>"])


# --- Hong Kong's Cap. 537 lists ----------------------------------------------------------

HK_FILES = [
    (FIXTURES / "hk_cedb_dprk_sample.xml").read_bytes(),
    (FIXTURES / "hk_cedb_libya_sample.xml").read_bytes(),
]


def test_hong_kongs_files_per_regime_are_one_version() -> None:
    parsed = parse_files(HK_CEDB, HK_FILES)
    by_ref = {e.ref: e for e in parsed.entries}
    assert parsed.source == HK_CEDB
    assert parsed.published == "2026-03-09"  # the latest file's date
    assert parsed.version.startswith("hk-cedb:2026-03-09:")
    assert set(by_ref) == {"XXi.901.26", "XXi.951.26", "XXi.952.26", "XXe.861.26"}
    # the entity both regimes list is one entry, with the names of both files
    assert by_ref["XXe.861.26"].names == (
        "NORTHERN LANTERN TRADING COMPANY",
        "Northern Lantern Shipping",
    )
    assert by_ref["XXi.951.26"].birth_dates == ("1979-10-30",)
    assert by_ref["XXi.952.26"].birth_years == (1971,)
    # the order the files come in does not make another version
    assert parse_files(HK_CEDB, HK_FILES[::-1]).version == parsed.version
    assert parse_files(HK_CEDB, HK_FILES[:1]).version != parsed.version


def test_entries_are_keyed_and_versioned_when_parsed() -> None:
    parsed = parse_un_xml((FIXTURES / "un_consolidated_sample.xml").read_bytes())
    viktor = next(e for e in parsed.entries if e.ref == "XXi.901.26")
    assert viktor.version == parsed.version
    assert viktor.keys == tuple(name_keys(n) for n in viktor.names)


# --- which versions are active -------------------------------------------------------------


def parsed(source: str, digest: str) -> ParsedList:
    return ParsedList(f"{source}:{digest[:12]}", source, digest, ())


def known(source: str, digest: str, *, active: bool) -> KnownVersion:
    return KnownVersion(f"{source}:{digest[:12]}", source, digest, active)


UN_1 = known(UN, "a" * 64, active=False)
UN_2 = known(UN, "b" * 64, active=True)
OFAC_1 = known(OFAC_SDN, "c" * 64, active=True)
CATALOGUE = [UN_1, UN_2, OFAC_1]


def test_every_source_has_its_active_version_at_once() -> None:
    assert active_versions(CATALOGUE) == {UN: UN_2.version, OFAC_SDN: OFAC_1.version}


def test_loading_a_version_replaces_only_its_own_sources_active_version() -> None:
    # the reported bug: a one-entry OFAC file must not stop UN screening
    plan = plan_load(CATALOGUE, parsed(OFAC_SDN, "d" * 64))
    assert (plan.change, plan.source, plan.replaces) == ("loaded", OFAC_SDN, OFAC_1.version)
    after = [UN_1, UN_2, known(OFAC_SDN, "c" * 64, active=False)]
    after.append(known(OFAC_SDN, "d" * 64, active=True))
    assert active_versions(after) == {UN: UN_2.version, OFAC_SDN: plan.version}


def test_the_first_version_of_a_source_replaces_nothing() -> None:
    plan = plan_load(CATALOGUE, parsed(HK_CEDB, "e" * 64))
    assert (plan.change, plan.replaces) == ("loaded", None)


def test_loading_a_known_older_version_again_reactivates_it() -> None:
    plan = plan_load(CATALOGUE, parsed(UN, "a" * 64))
    assert (plan.change, plan.version, plan.replaces) == ("reactivated", UN_1.version, UN_2.version)


def test_loading_the_active_version_again_changes_nothing() -> None:
    plan = plan_load(CATALOGUE, parsed(UN, "b" * 64))
    assert (plan.change, plan.version, plan.replaces) == ("unchanged", UN_2.version, None)


def test_the_same_bytes_under_another_source_are_another_version() -> None:
    assert plan_load(CATALOGUE, parsed(HK_CEDB, "a" * 64)).change == "loaded"


def test_a_known_version_is_reactivated_by_its_id() -> None:
    plan = plan_activation(CATALOGUE, UN_1.version)
    assert (plan.change, plan.replaces) == ("reactivated", UN_2.version)
    assert plan_activation(CATALOGUE, OFAC_1.version).change == "unchanged"
    with pytest.raises(UnknownVersion):
        plan_activation(CATALOGUE, "un-consolidated:ffffffffffff")


def test_a_screening_names_every_version_it_used_in_one_order() -> None:
    assert screening_set(["un:2", "ofac:1"]) == screening_set(["ofac:1", "un:2"]) == "ofac:1+un:2"
