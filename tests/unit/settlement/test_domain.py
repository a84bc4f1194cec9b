"""Rails, payout states, deposit matching, the HK business-day deadline, coverage."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.settlement.domain.attestation import (
    ExceptionItem,
    Report,
    coverage_ratio,
    is_covered,
    render,
)
from services.settlement.domain.calendar import (
    HONG_KONG,
    is_business_day,
    redemption_deadline,
)
from services.settlement.domain.deposits import deposit_id, deposit_reference_in
from services.settlement.domain.payouts import decide, public_state
from services.settlement.domain.rails import choose_rail
from tests.support.money import money


def test_rails() -> None:
    assert choose_rail(money(1_000_000_00, "HKD"), "HK") == "FPS"
    assert choose_rail(money(1_000_000_01, "HKD"), "HK") == "CHATS"
    assert choose_rail(money(5_00, "CNH"), "HK") == "FPS"
    assert choose_rail(money(5_00, "USD"), "HK") == "CHATS"
    assert choose_rail(money(5_00, "HKD"), "SG") == "SWIFT"
    assert choose_rail(money(5_00, "JPY"), "HK") == "SWIFT"
    assert choose_rail(money(5, "XCNH"), "HK") is None


def test_payout_transitions() -> None:
    assert decide("sent", "settle") == "apply"
    assert decide("unknown", "settle") == "apply"
    assert decide("unknown", "fail") == "apply"
    assert decide("settled", "settle") == "duplicate"
    assert decide("settled", "fail") == "conflict"  # money left: never "failed" afterwards
    assert decide("settled", "return") == "apply"
    assert decide("returned", "return") == "duplicate"
    assert decide("sent", "return") == "conflict"
    assert decide("rejected", "settle") == "conflict"
    assert public_state("failed") == "rejected"


def test_deposit_references_are_found_in_free_text() -> None:
    assert deposit_reference_in("pls credit cnh-ab12cd34ef ok") == "CNH-AB12CD34EF"
    assert deposit_reference_in("CNH-AB12CD34EF CNH-AB12CD34EF") == "CNH-AB12CD34EF"
    assert deposit_reference_in("CNH-AB12CD34EF / CNH-ZZ12CD34EF") is None  # ambiguous
    assert deposit_reference_in("CNH-AB12") is None
    assert deposit_id("REF1") == deposit_id("REF1") != deposit_id("REF2")


def hkt(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HONG_KONG)


def test_the_one_business_day_deadline_follows_the_hk_calendar() -> None:
    # Tuesday 10:00 -> Wednesday 10:00
    assert redemption_deadline(hkt(2026, 3, 3, 10, 0)) == hkt(2026, 3, 4, 10, 0)
    # Friday 15:00 -> Monday 15:00
    assert redemption_deadline(hkt(2026, 3, 6, 15, 0)) == hkt(2026, 3, 9, 15, 0)
    # Saturday -> counts from Monday 00:00 -> Tuesday 00:00
    assert redemption_deadline(hkt(2026, 3, 7, 12, 0)) == hkt(2026, 3, 10, 0, 0)
    # Lunar New Year 2026: 17-19 Feb are holidays; Monday 16 Feb -> Friday 20 Feb
    assert not is_business_day(dt.date(2026, 2, 17))
    assert redemption_deadline(hkt(2026, 2, 16, 9, 30)) == hkt(2026, 2, 20, 9, 30)
    # an instant in UTC is read in Hong Kong time (Tuesday 23:00 UTC is Wednesday 07:00 HKT)
    assert redemption_deadline(dt.datetime(2026, 3, 3, 23, 0, tzinfo=dt.UTC)) == hkt(
        2026, 3, 5, 7, 0
    )
    with pytest.raises(ValueError, match="time zone"):
        redemption_deadline(dt.datetime(2026, 3, 3, 10, 0))


@given(
    st.datetimes(
        min_value=dt.datetime(2025, 1, 1),
        max_value=dt.datetime(2030, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_a_deadline_is_on_a_business_day_and_at_least_a_day_away(start: dt.datetime) -> None:
    deadline = redemption_deadline(start)
    assert deadline - start >= dt.timedelta(days=1)
    local = deadline.astimezone(HONG_KONG)
    assert is_business_day(local.date()) or local.time() == dt.time(0, 0)
    assert deadline - start <= dt.timedelta(days=14)  # no HK holiday run is that long


def test_coverage_ratio_is_never_overstated() -> None:
    supply = money(3 * 10_000, "XCNH")  # 0.03 CNH at par
    assert coverage_ratio(money(10, "CNH"), supply) == Decimal("3.333333")
    assert coverage_ratio(money(10, "CNH"), money(0, "XCNH")) is None
    assert is_covered(money(3, "CNH"), supply)
    assert not is_covered(money(2, "CNH"), supply)


def test_the_report_states_coverage_movements_and_exceptions() -> None:
    now = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
    report = Report(
        report_id=uuid.uuid4(),
        generated_at=now,
        previous_at=None,
        supply=money(100 * 10_000, "XCNH"),
        reserve=money(109, "CNH"),
        held_for_others=money(10, "CNH"),
        balances={"reserve_bank:CNH": 109},
        exceptions=[ExceptionItem("payout_unknown", "r1", "1.00 HKD", now, "no answer")],
    )
    text = render(report)
    assert "fully backed               NO - SHORTFALL" in text
    assert "coverage ratio             0.990000" in text
    assert "gross ratio (whole account) 1.090000" in text
    assert "[payout_unknown] r1 1.00 HKD" in text
    assert "inception" in text
