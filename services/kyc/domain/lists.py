"""Readers of published sanctions lists, in their real formats.

- UN Security Council consolidated list (XML): CONSOLIDATED_LIST[@dateGenerated] with
  INDIVIDUALS/INDIVIDUAL (FIRST_NAME..FOURTH_NAME, INDIVIDUAL_ALIAS/ALIAS_NAME,
  INDIVIDUAL_DATE_OF_BIRTH/DATE|YEAR|FROM_YEAR+TO_YEAR, NATIONALITY/VALUE) and
  ENTITIES/ENTITY (FIRST_NAME, ENTITY_ALIAS/ALIAS_NAME, ENTITY_ADDRESS/COUNTRY).
- OFAC SDN (CSV, no header): sdn.csv ent_num, SDN_Name, SDN_Type, Program, Title,
  Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks ("DOB ...;" and
  "nationality ...;" live in Remarks); alt.csv ent_num, alt_num, alt_type, alt_name,
  alt_remarks. "-0-" marks an empty field. Vessels and aircraft are not customers: skipped.

A list is identified by a version: its publication date where the format has one, and
the SHA-256 of its bytes (the same file loaded twice is the same version).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from services.kyc.domain.countries import country_code
from services.kyc.domain.screening import EntryKind, SanctionsEntry


@dataclass(frozen=True)
class ParsedList:
    version: str
    source: str
    sha256: str
    entries: tuple[SanctionsEntry, ...]


class ListFormatError(ValueError):
    """The file is not a list in a format this reader knows."""


def parse_un_xml(data: bytes) -> ParsedList:
    # The standard library's expat refuses external entities and bounds entity expansion
    # (expat >= 2.4.1), which is what a published list needs.
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ListFormatError(f"not well-formed XML: {error}") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError("the root element is not CONSOLIDATED_LIST")
    entries = [_un_individual(e) for e in root.iterfind("INDIVIDUALS/INDIVIDUAL")]
    entries += [_un_entity(e) for e in root.iterfind("ENTITIES/ENTITY")]
    generated = (root.get("dateGenerated") or "")[:10]
    return _parsed("un-consolidated", generated, data, entries)


def _texts(element: ET.Element, path: str) -> list[str]:
    return [t.strip() for e in element.iterfind(path) if (t := e.text) and t.strip()]


def _un_ref(element: ET.Element) -> str:
    refs = _texts(element, "REFERENCE_NUMBER") or _texts(element, "DATAID")
    if not refs:
        raise ListFormatError("an entry has neither REFERENCE_NUMBER nor DATAID")
    return refs[0]


def _un_individual(element: ET.Element) -> SanctionsEntry:
    parts = [
        p
        for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
        for p in _texts(element, tag)
    ]
    names = [" ".join(parts), *_texts(element, "INDIVIDUAL_ALIAS/ALIAS_NAME")]
    dates: list[str] = []
    years: list[int] = []
    for birth in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        dates += [d[:10] for d in _texts(birth, "DATE") if _is_iso_date(d[:10])]
        years += [int(y) for y in _texts(birth, "YEAR") if y.isdigit()]
        span = _texts(birth, "FROM_YEAR") + _texts(birth, "TO_YEAR")
        if len(span) == 2 and all(y.isdigit() for y in span):
            years += range(int(span[0]), int(span[1]) + 1)
    nationalities = _codes(_texts(element, "NATIONALITY/VALUE"))
    return _entry(_un_ref(element), "individual", names, dates, years, nationalities)


def _un_entity(element: ET.Element) -> SanctionsEntry:
    names = _texts(element, "FIRST_NAME") + _texts(element, "ENTITY_ALIAS/ALIAS_NAME")
    countries = _codes(_texts(element, "ENTITY_ADDRESS/COUNTRY"))
    return _entry(_un_ref(element), "entity", names, [], [], countries)


# --- OFAC SDN ----------------------------------------------------------------------------

_EMPTY = "-0-"
_DOB = re.compile(r"DOB ((?:circa )?(?:\d{1,2} )?(?:[A-Z][a-z]{2} )?\d{4})")
_NATIONALITY = re.compile(r"nationality ([^;.]+)")


def parse_ofac_csv(sdn: bytes, alt: bytes | None = None) -> ParsedList:
    aliases: dict[str, list[str]] = {}
    for row in _csv_rows(alt or b""):
        if len(row) < 4:
            raise ListFormatError("alt.csv rows have 5 columns")
        aliases.setdefault(row[0], []).append(row[3])
    entries: list[SanctionsEntry] = []
    for row in _csv_rows(sdn):
        if len(row) < 12:
            raise ListFormatError("sdn.csv rows have 12 columns")
        ent_num, name, sdn_type, remarks = row[0], row[1], row[2].lower(), row[11]
        if sdn_type in ("vessel", "aircraft"):
            continue
        kind: EntryKind = "individual" if sdn_type == "individual" else "entity"
        dates, years = _ofac_births(remarks)
        nationalities = _codes(m.strip() for m in _NATIONALITY.findall(remarks))
        names = [name, *aliases.get(ent_num, [])]
        entries.append(_entry(f"SDN-{ent_num}", kind, names, dates, years, nationalities))
    return _parsed("ofac-sdn", "", sdn + (alt or b""), entries)


def _csv_rows(data: bytes) -> Iterable[list[str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # older SDN files are Windows-1252
    for row in csv.reader(io.StringIO(text)):
        cells = [_clean(c) for c in row]
        if cells and cells[0] and cells[0] != "\x1a":  # the files end with a Ctrl-Z record
            yield cells


def _clean(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == _EMPTY else cell


def _ofac_births(remarks: str) -> tuple[list[str], list[int]]:
    dates: list[str] = []
    years: list[int] = []
    for found in _DOB.findall(remarks):
        text = found.removeprefix("circa ")
        try:
            dates.append(dt.datetime.strptime(text, "%d %b %Y").date().isoformat())
        except ValueError:
            years.append(int(text[-4:]))
    return dates, years


# --- common ------------------------------------------------------------------------------


def parse_list(name: str, data: bytes, companion: bytes | None = None) -> ParsedList:
    """By file name: *.xml is the UN list; *.csv is OFAC's sdn.csv (`companion`: alt.csv)."""
    if name.lower().endswith(".xml"):
        return parse_un_xml(data)
    if name.lower().endswith(".csv"):
        return parse_ofac_csv(data, companion)
    raise ListFormatError("expected a UN consolidated list (.xml) or an OFAC sdn.csv")


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _codes(names: Iterable[str]) -> list[str]:
    return [code for name in names if (code := country_code(name))]


def _entry(
    ref: str,
    kind: EntryKind,
    names: Iterable[str],
    dates: Iterable[str],
    years: Iterable[int],
    nationalities: Iterable[str],
) -> SanctionsEntry:
    return SanctionsEntry(
        ref=ref,
        kind=kind,
        names=tuple(dict.fromkeys(n for n in names if n.strip())),
        birth_dates=tuple(dict.fromkeys(dates)),
        birth_years=tuple(dict.fromkeys(years)),
        nationalities=tuple(dict.fromkeys(nationalities)),
    )


def _parsed(source: str, published: str, data: bytes, entries: list[SanctionsEntry]) -> ParsedList:
    if not entries:
        raise ListFormatError("the list has no entries")
    digest = hashlib.sha256(data).hexdigest()
    version = f"{source}:{published + ':' if published else ''}{digest[:12]}"
    return ParsedList(version, source, digest, tuple(e for e in entries if e.names))
