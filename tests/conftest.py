"""Settings shared by every test."""

from __future__ import annotations

import os

from hypothesis import settings

# In CI, property tests replay the same examples every run: a failure found there is a
# defect to fix, never a flake that passes on the next try. Locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
