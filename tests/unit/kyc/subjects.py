"""Who screening is asked about, as the screening tests name them."""

from __future__ import annotations

import datetime as dt

from services.kyc.domain.screening import Subject


def person(name: str, born: dt.date | None = None, nationality: str | None = None) -> Subject:
    """An individual by one name; birth date and nationality when the case weighs them."""
    return Subject("individual", (name,), born, nationality)
