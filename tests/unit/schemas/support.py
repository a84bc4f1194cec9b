"""What the schema tests share."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.envelope import Codec, DecodeError


def decode_error(codec: Codec, record: bytes | Any) -> DecodeError:
    """The DecodeError `codec` raises for `record`: bytes as they came off a topic, anything
    else as its JSON."""
    raw = record if isinstance(record, bytes) else json.dumps(record).encode()
    with pytest.raises(DecodeError) as caught:
        codec.decode(raw)
    return caught.value
