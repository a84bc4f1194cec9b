"""The attestation's backing checks on real Kafka and PostgreSQL: with everything backed
`make attest` exits 0; a reserve movement planted straight into the database makes it exit
non-zero naming the exception, and the service's own watch announces it once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import ConsumerRecord

from schemas import Codec
from schemas.settlement import DepositConfirmed, ReserveAlert
from tests.integration.settlement.conftest import (
    FAST_BANK,
    Settlement,
    deposit_reference,
    of_type,
)
from tests.support.environment import Environment

pytestmark = pytest.mark.integration

ALERTS = Codec([ReserveAlert])


@pytest.fixture
async def watched(platform: Environment) -> Settlement:
    await platform.start("settlement", **FAST_BANK, CNH_SETTLEMENT_ATTEST_INTERVAL_S="0.3")
    return Settlement(platform)


def alerts(records: list[ConsumerRecord]) -> list[ReserveAlert]:
    return [
        ALERTS.decode(r.value).payload
        for r in records
        if ("type", b"settlement.reserve_alert") in list(r.headers)
    ]


async def plant_unbacked_reserve_movement(settlement: Settlement) -> uuid.UUID:
    """1,000 CNH into the reserve account with nothing behind it, written past the service."""
    entry_id = uuid.uuid4()
    await settlement.platform.query(
        "settlement",
        """
        WITH entry AS (
            INSERT INTO journal_entries (entry_id, template, actor)
            VALUES ($1, 'adjustment', 'intruder')
        )
        INSERT INTO journal_lines (entry_id, line_no, account, currency, side, amount_minor)
        VALUES ($1, 1, 'reserve_bank:CNH', 'CNH', 'D', 100000),
               ($1, 2, 'tokens_to_issue:CNH', 'CNH', 'C', 100000)
        """,
        entry_id,
    )
    return entry_id


async def test_attest_exits_non_zero_on_an_unbacked_movement_and_the_service_alerts_once(
    watched: Settlement,
) -> None:
    settlement = watched
    reference = deposit_reference()
    await settlement.register_wallet(reference)
    await settlement.wait_wallets(1)
    await settlement.bank_sends(settlement.deposit(100_00, reference))
    [mint] = await settlement.mint_commands(1)
    await settlement.answer_mint(mint)
    await settlement.events(lambda es: bool(of_type(es, DepositConfirmed)))
    await settlement.wait_rows(
        "SELECT count(*) AS n FROM supply_movements WHERE deposit_id IS NOT NULL",
        lambda rows: rows[0]["n"] == 1,
    )

    # everything is backed: exit 0, and no alert was ever sent
    code, report, err = await settlement.cli("attest")
    assert code == 0, report + err
    assert "fully backed               YES" in report, report
    assert "unbacked" not in report, report
    recorded = await settlement.platform.query(
        "settlement", "SELECT count(*) AS n FROM attestations"
    )

    entry_id = await plant_unbacked_reserve_movement(settlement)
    code, report, err = await settlement.cli("attest")
    assert code == 1, report + err
    assert "unbacked_reserve_movement x1" in err, err
    assert f"[unbacked_reserve_movement] {entry_id} 1000.00 CNH" in report, report
    assert "adjustment is not a movement of the reserve" in report, report
    # the report path wrote nothing
    after = await settlement.platform.query("settlement", "SELECT count(*) AS n FROM attestations")
    assert after == recorded

    records = await settlement.platform.read("settlement.events", lambda rs: bool(alerts(rs)))
    [alert] = alerts(records)
    assert alert.status == "exceptions"
    assert [(e.kind, e.reference, e.amount_minor) for e in alert.exceptions] == [
        ("unbacked_reserve_movement", str(entry_id), 100000)
    ]
    assert alert.total == 1
    assert alert.supply.amount_minor == 100_00 * 10_000
    # rounds go on (every 0.3 s): the same state is not announced again
    await asyncio.sleep(1.5)
    records = await settlement.platform.read("settlement.events", lambda rs: bool(alerts(rs)))
    assert len(alerts(records)) == 1
