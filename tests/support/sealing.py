"""The public sealing keys of the run folder the tests use (CNH_SECRETS_ROOT), as any
producer reads them; and a throwaway key pair for tests without servers."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from schemas.sealed import OpeningKeys, SealingKey, generate


@cache
def sealing_key(recipient: str) -> SealingKey:
    root = Path(os.environ.get("CNH_SECRETS_ROOT", ".run/secrets")).resolve()
    return SealingKey.load(root, recipient)


@cache
def throwaway(recipient: str) -> OpeningKeys:
    """Keys generated in memory: for unit tests that seal and open without a run folder."""
    return generate(recipient)
