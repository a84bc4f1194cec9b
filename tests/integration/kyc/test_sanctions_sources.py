"""Every source's active list screens at once: loading one source's list never stops the
screening against another's (the reported bug: after a one-entry OFAC file, a person the
UN list had rejected was verified). Loading a known version again re-activates it; every
load re-screens with its progress shown; the operator lists sources and versions."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from schemas import Envelope
from services.kyc.domain.lists import parse_un_xml
from services.kyc.repository.sanctions import SanctionsLists
from tests.integration.kyc.support import apply, cli, events, person
from tests.support.environment import Environment

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[3] / "services" / "kyc" / "fixtures"
UN_SAMPLE = FIXTURES / "un_consolidated_sample.xml"
UN_UPDATE = FIXTURES / "un_consolidated_update.xml"
HK_FILES = [FIXTURES / "hk_cedb_dprk_sample.xml", FIXTURES / "hk_cedb_libya_sample.xml"]

ONE_ENTRY_SDN = (
    '9990777,"HALVARD, Quintus Ebbe",individual,"EXAMPLE",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '-0- ,"DOB 03 Mar 1959; nationality Norway; Invented entry."\r\n'
)
CYRILLIC_A = "\u0430"
GREEK_OMICRON = "\u03bf"
ZERO_WIDTH_JOINER = "\u200d"


def viktor(**changes: Any) -> Any:
    """The UN list's (invented) Viktor Anselm Krallenberg applying, as himself."""
    return person(
        changes.pop("name", "Viktor Anselm Krallenberg"),
        born=dt.date(1968, 4, 12),
        nationality="PA",
        **changes,
    )


async def decided(platform: Environment, count: int) -> dict[uuid.UUID, Envelope[Any]]:
    return {e.payload.customer_id: e for e in await events(platform, count)}


async def sources(platform: Environment) -> dict[str, tuple[str, str]]:
    """version -> (source, active) from the operator's listing, read-only as make runs it."""
    code, out = await cli(platform, "sanctions-sources", operator=True)
    assert code == 0, out
    rows = [line.split() for line in out.splitlines()[1:-1]]
    return {row[1]: (row[0], row[-1]) for row in rows}


async def test_loading_one_list_keeps_every_other_source_screening(
    platform: Environment, tmp_path: Path
) -> None:
    await platform.start("kyc")  # the bundled UN list is active
    listed = viktor()
    await apply(platform, listed)
    assert (await decided(platform, 1))[listed.customer_id].type == "kyc.customer_rejected"

    sdn = tmp_path / "sdn.csv"
    sdn.write_text(ONE_ENTRY_SDN)
    code, out = await cli(platform, "sanctions-load", str(sdn))
    assert code == 0, out
    assert "1 entries loaded and active" in out
    assert "re-screened 0/0 customers" in out  # the rejected one is not screened again
    un_version = parse_un_xml(UN_SAMPLE.read_bytes()).version
    assert un_version in out.rpartition("active: ")[2]

    again = viktor()
    disguised = viktor(
        name=f"Vikt{GREEK_OMICRON}r Ansel{ZERO_WIDTH_JOINER}m Kr{CYRILLIC_A}llenberg",
        document="K7654321",
    )
    on_ofac = person("Quintus Ebbe Halvard", born=dt.date(1959, 3, 3), nationality="NO")
    bystander = person("Wong Siu Ling", born=dt.date(1992, 11, 3), document="K2468024")
    await apply(platform, again, disguised, on_ofac, bystander)
    outcomes = await decided(platform, 5)
    assert {c: outcomes[c.customer_id].type for c in (again, disguised, on_ofac, bystander)} == {
        again: "kyc.customer_rejected",
        disguised: "kyc.customer_rejected",
        on_ofac: "kyc.customer_rejected",
        bystander: "kyc.customer_verified",
    }
    screened = await platform.query(
        "kyc",
        "SELECT customer_id, list_version, entry_ref, entry_version FROM screenings "
        "WHERE customer_id = ANY($1::uuid[])",
        [again.customer_id, disguised.customer_id, on_ofac.customer_id],
    )
    by_customer = {r["customer_id"]: r for r in screened}
    for customer in (again, disguised):
        row = by_customer[customer.customer_id]
        assert (row["entry_ref"], row["entry_version"]) == ("XXi.901.26", un_version)
        assert un_version in row["list_version"]
        assert "ofac-sdn:" in row["list_version"]
    assert by_customer[on_ofac.customer_id]["entry_ref"] == "SDN-9990777"

    listing = await sources(platform)
    assert sorted(listing.values()) == [("ofac-sdn", "yes"), ("un-consolidated", "yes")]


async def test_a_known_older_version_loaded_again_is_active_again(
    platform: Environment,
) -> None:
    await platform.start("kyc")
    sample_list = parse_un_xml(UN_SAMPLE.read_bytes())
    sample, update = sample_list.version, parse_un_xml(UN_UPDATE.read_bytes()).version
    code, out = await cli(platform, "sanctions-load", str(UN_UPDATE))
    assert code == 0, out
    oskar = person("Oskar Lindqvist Haralde", born=dt.date(1981, 9, 23), nationality="NO")
    await apply(platform, oskar)
    assert (await decided(platform, 1))[oskar.customer_id].type == "kyc.customer_rejected"

    code, out = await cli(platform, "sanctions-load", str(UN_SAMPLE))
    assert code == 0, out
    assert f"{sample}: {len(sample_list.entries)} entries re-activated" in out
    assert await sources(platform) == {
        sample: ("un-consolidated", "yes"),
        update: ("un-consolidated", "no"),
    }
    rows = await platform.query("kyc", "SELECT count(*) AS n FROM sanctions_lists")
    assert rows[0]["n"] == 2  # re-activated, not loaded twice

    # the older list does not name him: a new application is verified
    oskar_again = person("Oskar Lindqvist Haralde", born=dt.date(1981, 9, 23), nationality="NO")
    await apply(platform, oskar_again)
    assert (await decided(platform, 2))[oskar_again.customer_id].type == "kyc.customer_verified"

    # the newer one by its id, without the file: he is frozen by its re-screening
    code, out = await cli(platform, "sanctions-activate", update)
    assert code == 0, out
    assert "re-screened 1/1 customers" in out
    assert "1 customers re-screened, 1 frozen" in out
    frozen = (await decided(platform, 3))[oskar_again.customer_id]
    assert (frozen.type, frozen.payload.reason) == ("kyc.customer_frozen", "sanctions_match")

    code, out = await cli(platform, "sanctions-load", str(UN_UPDATE))
    assert code == 0, out
    assert "already loaded and active, nothing changed" in out


async def test_hong_kongs_lists_are_a_source_of_their_own(platform: Environment) -> None:
    await platform.start("kyc")
    code, out = await cli(
        platform, "sanctions-load", "--source", "hk-cedb", *(str(f) for f in HK_FILES)
    )
    assert code == 0, out
    assert "hk-cedb:2026-03-09:" in out
    assert "4 entries loaded and active" in out
    listing = await sources(platform)
    assert sorted(listing.values()) == [("hk-cedb", "yes"), ("un-consolidated", "yes")]

    on_hk = person("Isolde Margarethe Fenwick-Aranda", born=dt.date(1979, 10, 30), nationality="UY")
    on_un = viktor()
    await apply(platform, on_hk, on_un)
    outcomes = await decided(platform, 2)
    assert outcomes[on_hk.customer_id].type == "kyc.customer_rejected"
    assert outcomes[on_un.customer_id].type == "kyc.customer_rejected"


async def test_a_bad_file_or_version_is_refused_and_changes_nothing(
    platform: Environment, tmp_path: Path
) -> None:
    await platform.start("kyc")
    before = await sources(platform)
    broken = tmp_path / "consolidated.xml"
    broken.write_bytes(b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>")
    not_ofac = tmp_path / "sdn.csv"
    not_ofac.write_text("name,date\nsomeone,2020-01-01\n")
    for args in (
        [str(broken)],
        [str(not_ofac)],
        ["--source", "un-consolidated", str(not_ofac)],
        [str(tmp_path / "missing.xml")],
    ):
        code, out = await cli(platform, "sanctions-load", *args)
        assert code == 1, out
        assert out.startswith("error: "), out
        assert "Traceback" not in out
    code, out = await cli(platform, "sanctions-activate", "un-consolidated:000000000000")
    assert (code, out.strip()) == (
        1,
        "error: no list version un-consolidated:000000000000 is loaded",
    )
    assert await sources(platform) == before


async def test_customers_screened_against_other_lists_are_screened_again_at_start(
    platform: Environment,
) -> None:
    """As after an upgrade: customers decided while another set of lists was active (before
    every source screened at once) are re-screened before the service consumes."""
    service = await platform.start("kyc")
    oskar = person("Oskar Lindqvist Haralde", born=dt.date(1981, 9, 23), nationality="NO")
    await apply(platform, oskar)
    assert (await decided(platform, 1))[oskar.customer_id].type == "kyc.customer_verified"
    service.stop()

    # a list change committed without re-screening anyone
    connection = await asyncpg.connect(await platform.database("kyc"))
    try:
        async with connection.transaction():
            lists = SanctionsLists(connection)
            update = parse_un_xml(UN_UPDATE.read_bytes())
            [sample] = [a.version for a in await lists.active()]
            await lists.insert(update)
            await lists.activate(update.version, sample)
    finally:
        await connection.close()

    restarted = await platform.start("kyc")
    frozen = (await decided(platform, 2))[oskar.customer_id]
    assert (frozen.type, frozen.payload.reason) == ("kyc.customer_frozen", "sanctions_match")
    log = restarted.log_path.read_text()
    assert "re-screening customers" in log
    assert "Oskar" not in log


async def test_an_application_waits_for_a_list_change_in_progress(platform: Environment) -> None:
    """Decided against the lists a change is replacing, it would be missed by that change's
    re-screening (its row is not there yet); it waits, and is decided against the new ones."""
    await platform.start("kyc")
    connection = await asyncpg.connect(await platform.database("kyc"))
    try:
        change = connection.transaction()
        await change.start()
        lists = SanctionsLists(connection)
        await lists.lock()
        update = parse_un_xml(UN_UPDATE.read_bytes())
        [sample] = [a.version for a in await lists.active()]
        await lists.insert(update)
        await lists.activate(update.version, sample)

        oskar = person("Oskar Lindqvist Haralde", born=dt.date(1981, 9, 23), nationality="NO")
        await apply(platform, oskar)
        await asyncio.sleep(3)
        assert await platform.query("kyc", "SELECT 1 FROM customers") == []  # waiting
        await change.commit()
    finally:
        await connection.close()
    assert (await decided(platform, 1))[oskar.customer_id].type == "kyc.customer_rejected"
