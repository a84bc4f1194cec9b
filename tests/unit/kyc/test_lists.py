"""Reading published sanctions lists in their real formats (invented entries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kyc.domain.lists import ListFormatError, parse_list, parse_ofac_csv, parse_un_xml

FIXTURES = Path(__file__).parents[3] / "services" / "kyc" / "fixtures"


def test_the_un_consolidated_list_xml() -> None:
    parsed = parse_un_xml((FIXTURES / "un_consolidated_sample.xml").read_bytes())
    by_ref = {e.ref: e for e in parsed.entries}
    assert parsed.version.startswith("un-consolidated:2026-01-05:")
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
    ],
)
def test_a_file_that_is_not_a_list_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(ListFormatError):
        parse_list(name, data)
