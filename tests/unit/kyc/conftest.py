"""The work KYC's use-case tests start from."""

from __future__ import annotations

import pytest

from services.kyc.use_cases.sanctions import LoadList, load_list
from tests.unit.kyc.fakes import KycFakeWork
from tests.unit.kyc.givens import UN_SAMPLE


@pytest.fixture
async def work() -> KycFakeWork:
    """A work whose lists hold the UN sample, loaded and active (onboarding waits for a
    list, so every customer a test onboards needs one)."""
    work = KycFakeWork()
    await load_list(work, LoadList(UN_SAMPLE, "bootstrap"))
    work.next_message()
    return work
