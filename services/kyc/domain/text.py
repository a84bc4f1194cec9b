"""Name normalisation for matching: case, accents, punctuation and spacing never matter."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(name: str) -> str:
    """ "José  O'Neil-Smith" -> "jose o neil smith" (token order is left to the scorer)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", stripped).strip()
