"""Readers of published sanctions lists, in their real formats, and which of their
versions are active.

Sources (each one active version at a time; screening uses every active version at once):
- `un-consolidated`, the UN Security Council consolidated list (XML):
  CONSOLIDATED_LIST[@dateGenerated] with INDIVIDUALS/INDIVIDUAL (FIRST_NAME..FOURTH_NAME,
  INDIVIDUAL_ALIAS/ALIAS_NAME, INDIVIDUAL_DATE_OF_BIRTH/DATE|YEAR|FROM_YEAR+TO_YEAR,
  NATIONALITY/VALUE) and ENTITIES/ENTITY (FIRST_NAME, ENTITY_ALIAS/ALIAS_NAME,
  ENTITY_ADDRESS/COUNTRY).
- `ofac-sdn`, OFAC's SDN list (CSV, no header): sdn.csv ent_num, SDN_Name, SDN_Type,
  Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks
  ("DOB ...;" and "nationality ...;" live in Remarks); alt.csv ent_num, alt_num, alt_type,
  alt_name, alt_remarks. "-0-" marks an empty field. Vessels and aircraft are not
  customers: skipped.
- `hk-cedb`, Hong Kong's targeted financial sanctions lists under the United Nations
  Sanctions Ordinance (Cap. 537): the Commerce and Economic Development Bureau publishes one
  XML file per UN regime (DPRK, Libya, ISIL and Al-Qaida, ...), each a snapshot of its part
  of the UN list in the UN's own schema. One version is the set of files loaded together;
  a record that two regimes' files repeat is one entry.

A list is identified by a version: its source, its publication date where the format has
one, and the SHA-256 of its bytes (the same files loaded twice are the same version).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.kyc.domain.countries import country_code
from services.kyc.domain.screening import EntryKind, SanctionsEntry
from services.kyc.domain.text import name_keys

UN = "un-consolidated"
OFAC_SDN = "ofac-sdn"
HK_CEDB = "hk-cedb"
SOURCES = {
    UN: "UN Security Council consolidated list (XML)",
    OFAC_SDN: "OFAC Specially Designated Nationals (sdn.csv, alt.csv beside it)",
    HK_CEDB: "Hong Kong CEDB targeted financial sanctions, Cap. 537 (XML per UN regime)",
}


@dataclass(frozen=True)
class ParsedList:
    version: str
    source: str
    sha256: str
    entries: tuple[SanctionsEntry, ...]
    published: str = ""
    """The publication date the file gives (YYYY-MM-DD), if its format has one."""


class ListFormatError(ValueError):
    """The file is not a list in a format this reader knows."""


def parse_un_xml(data: bytes) -> ParsedList:
    root = _xml(data)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError("the root element is not CONSOLIDATED_LIST")
    entries = [_un_individual(e) for e in root.iterfind("INDIVIDUALS/INDIVIDUAL")]
    entries += [_un_entity(e) for e in root.iterfind("ENTITIES/ENTITY")]
    return _parsed(UN, _generated(root), _digest_of([data]), entries)


def parse_hk_xml(files: Sequence[bytes]) -> ParsedList:
    """Hong Kong's per-regime files, as one version. Records are read wherever the UN
    schema puts them: the files are the UN's format, their wrapping is not promised."""
    if not files:
        raise ListFormatError("no file given")
    entries: list[SanctionsEntry] = []
    published = ""
    for data in files:
        root = _xml(data)
        found = [_un_individual(e) for e in root.iter("INDIVIDUAL")]
        found += [_un_entity(e) for e in root.iter("ENTITY")]
        if not found:
            raise ListFormatError("a file has no INDIVIDUAL or ENTITY record of the UN schema")
        entries += found
        published = max(published, _generated(root))
    return _parsed(HK_CEDB, published, _digest_of(files), entries)


def _xml(data: bytes) -> ET.Element:
    # The standard library's expat refuses external entities and bounds entity expansion
    # (expat >= 2.4.1), which is what a published list needs.
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        raise ListFormatError(f"not well-formed XML: {error}") from None


def _generated(root: ET.Element) -> str:
    generated = (root.get("dateGenerated") or "")[:10]
    return generated if _is_iso_date(generated) else ""


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
    # both files' bytes: a changed alias is another version
    return _parsed(OFAC_SDN, "", hashlib.sha256(sdn + (alt or b"")).hexdigest(), entries)


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


def source_of(name: str) -> str:
    """The source a file name suggests: *.xml the UN list, *.csv OFAC's sdn.csv (Hong
    Kong's files are UN XML too: they are named by their source)."""
    if name.lower().endswith(".xml"):
        return UN
    if name.lower().endswith(".csv"):
        return OFAC_SDN
    raise ListFormatError("expected a UN consolidated list (.xml) or an OFAC sdn.csv")


def parse_list(
    name: str, data: bytes, companion: bytes | None = None, *, source: str | None = None
) -> ParsedList:
    """One file (`companion`: OFAC's alt.csv), of `source` or the one its name suggests."""
    return parse_files(source or source_of(name), [data], companion)


def parse_files(source: str, files: Sequence[bytes], companion: bytes | None = None) -> ParsedList:
    if source not in SOURCES:
        raise ListFormatError(f"unknown source {source!r} (known: {', '.join(SOURCES)})")
    if source == HK_CEDB:
        return parse_hk_xml(files)
    if len(files) != 1:
        raise ListFormatError(f"a {source} version is one file")
    if source == UN:
        return parse_un_xml(files[0])
    return parse_ofac_csv(files[0], companion)


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


def _digest_of(files: Sequence[bytes]) -> str:
    """One file: its SHA-256 (what `sha256sum` prints); several: the SHA-256 of their
    sorted digests, so the order they are given in does not make another version."""
    digests = sorted(hashlib.sha256(data).hexdigest() for data in files)
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _parsed(source: str, published: str, digest: str, entries: list[SanctionsEntry]) -> ParsedList:
    version = f"{source}:{published + ':' if published else ''}{digest[:12]}"
    merged: dict[str, SanctionsEntry] = {}
    for entry in entries:
        if entry.names:
            known = merged.get(entry.ref)
            merged[entry.ref] = entry if known is None else _merge(known, entry)
    if not merged:
        raise ListFormatError("the list has no entries")
    keyed = tuple(
        replace(e, version=version, keys=tuple(name_keys(n) for n in e.names))
        for e in merged.values()
    )
    return ParsedList(version, source, digest, keyed, published)


def _merge(known: SanctionsEntry, again: SanctionsEntry) -> SanctionsEntry:
    """A record listed twice under one reference (two regimes' files): one entry."""
    return replace(
        known,
        names=tuple(dict.fromkeys(known.names + again.names)),
        birth_dates=tuple(dict.fromkeys(known.birth_dates + again.birth_dates)),
        birth_years=tuple(dict.fromkeys(known.birth_years + again.birth_years)),
        nationalities=tuple(dict.fromkeys(known.nationalities + again.nationalities)),
    )


# --- which versions are active -----------------------------------------------------------


@dataclass(frozen=True)
class KnownVersion:
    """A list version loaded before (the catalogue of every version, active or not)."""

    version: str
    source: str
    sha256: str
    active: bool


Change = Literal["loaded", "reactivated", "unchanged"]


@dataclass(frozen=True)
class Activation:
    """What loading or re-activating a version does: `version` becomes its source's active
    version in place of `replaces`; the other sources' active versions stay active."""

    version: str
    source: str
    change: Change
    replaces: str | None


class UnknownVersion(LookupError):
    pass


def plan_load(catalogue: Iterable[KnownVersion], parsed: ParsedList) -> Activation:
    """A new version is loaded and activated; the same bytes again re-activate the version
    they were loaded as (nothing to do if it is still the active one)."""
    known = list(catalogue)
    same = next((k for k in known if (k.source, k.sha256) == (parsed.source, parsed.sha256)), None)
    if same is not None:
        return _activate(known, same)
    return Activation(parsed.version, parsed.source, "loaded", _active_of(known, parsed.source))


def plan_activation(catalogue: Iterable[KnownVersion], version: str) -> Activation:
    known = list(catalogue)
    found = next((k for k in known if k.version == version), None)
    if found is None:
        raise UnknownVersion(f"no list version {version} is loaded")
    return _activate(known, found)


def active_versions(catalogue: Iterable[KnownVersion]) -> dict[str, str]:
    """Source -> its active version: screening uses all of them."""
    return {k.source: k.version for k in catalogue if k.active}


def screening_set(versions: Iterable[str]) -> str:
    """What a screening against these versions is recorded as having used."""
    return "+".join(sorted(versions))


def _activate(known: list[KnownVersion], target: KnownVersion) -> Activation:
    if target.active:
        return Activation(target.version, target.source, "unchanged", None)
    return Activation(
        target.version, target.source, "reactivated", _active_of(known, target.source)
    )


def _active_of(known: list[KnownVersion], source: str) -> str | None:
    return active_versions(known).get(source)
