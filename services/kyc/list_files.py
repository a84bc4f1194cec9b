"""The sanctions list files as their publishers publish them: a UN XML file, an OFAC
sdn.csv with its alt.csv beside it, or Hong Kong's per-regime XML files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from services.kyc.domain.lists import OFAC_SDN, ListFormatError, ParsedList, parse_files, source_of


def read_list(paths: Sequence[Path], source: str | None = None) -> ParsedList:
    """One version from `paths` (`source` hk-cedb: Hong Kong's files as one version; by
    default the name tells: *.xml the UN list, *.csv OFAC's sdn.csv)."""
    if not paths:
        raise ListFormatError("no file given")
    source = source or source_of(paths[0].name)
    companion = None
    if source == OFAC_SDN and len(paths) == 1:
        alt = paths[0].with_name(paths[0].name.replace("sdn", "alt"))
        if alt != paths[0] and alt.is_file():
            companion = alt.read_bytes()
    return parse_files(source, [p.read_bytes() for p in paths], companion)
