"""Name normalisation for matching: case, accents, punctuation, spacing, character width,
invisible characters and look-alike letters never matter.

Every name gets three keys, and the scorer compares each key only with keys of its kind:
- plain: ICU's NFKC case fold (full-width forms folded, zero-width joiners and spaces and
  every other default-ignorable character removed), accents dropped, what is not a letter
  or a digit a space;
- lower and upper: the confusables skeleton of Unicode TS #39 (ICU's SpoofChecker, the
  reference implementation, with the confusables data of its Unicode version) of the
  folded name and of its capitals, accents and punctuation dropped the same way. The
  skeleton is case-sensitive by design: the Cyrillic capital KA (U+041A) is confusable with
  "K" but its small form is not with "k"; the Greek small NU (U+03BD) is with "v" but its
  capital is with "N". Each case catches the look-alikes of its own.
A name spelt with Cyrillic or Greek look-alikes thus shares a key with the plain name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import icu

_SEPARATOR = re.compile(r"[\W_]+")
"""Anything but a letter or a digit, of any script: a script the skeleton has no Latin
look-alike for keeps its letters in place instead of splitting a word."""
_FOLD = icu.Normalizer2.getNFKCCasefoldInstance()
_SPOOF = icu.SpoofChecker()

KEYS_VERSION = f"icu-{icu.ICU_VERSION}/unicode-{icu.UNICODE_VERSION}"
"""The keys of a name depend on the confusables data: keys stored under another version
are computed again rather than compared with keys of this one."""


@dataclass(frozen=True)
class NameKeys:
    plain: str
    lower: str
    upper: str


def normalise(name: str) -> str:
    """ "José  O'Neil-Smith" -> "jose o neil smith" (token order is left to the scorer)."""
    return _words(_FOLD.normalize(name))


def skeleton(text: str) -> str:
    """The TS #39 skeleton: two strings are confusable when their skeletons are equal."""
    return str(_SPOOF.getSkeleton(0, text))


def name_keys(name: str) -> NameKeys:
    folded = _FOLD.normalize(name)
    # The skeletons keep their case: folding it afterwards would merge what the skeleton
    # keeps apart ("I" becomes "l", and a capital "L" is not confusable with either).
    return NameKeys(
        plain=_words(folded),
        lower=_words(skeleton(folded), fold=False),
        upper=_words(skeleton(folded.upper()), fold=False),
    )


def _words(text: str, *, fold: bool = True) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold() if fold else text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATOR.sub(" ", stripped).strip()
