"""Personal data sealed or absent (design section 8, issue 15 point 4): after the e2e flows
and hostile input, no topic of the environment (read from the beginning, dead letters'
base64 and nested JSON decoded), no service log, no table of the platform's databases (every
schema, read as the superuser; not the simulated bank's: an outside system, it holds the
accounts it pays) and not the PostgreSQL server's own log holds any personal value the test
used in clear. KYC's tables hold them only encrypted (ciphertext does not match).

The flows: an individual (with an alias) and a company onboarded; a wallet; a deposit with
the payer's account and a remittance text, minted; redemptions paid in CNH and USD; a
deposit with no reference suspended and refunded to its payer; and hostile records that end
in dead letters (a sealed value for another customer, a version-1 application and deposit
in clear, a payer's name with a NUL, a redemption request that cannot be read) and in a
constraint violation on a row about a person (a probe constraint on settlement's deposits
refuses one deposit: the "Failing row contains ..." path).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import os
import re
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from clients.outside import Outside
from clients.scenarios import Person, fund, onboard, redeem, register_account
from clients.watcher import Watcher
from schemas import DeadLetter, envelope
from schemas.issuance import Minted
from schemas.kyc import (
    CorporateParticulars,
    CustomerVerified,
    IdentityDocument,
    IndividualApplication,
    IndividualParticulars,
    PostalAddress,
    sealed_application,
    sealing_context,
)
from schemas.principals import BANK, SERVICES
from schemas.redemption import RedemptionCompleted
from schemas.settlement import (
    BankAccount,
    DepositParticulars,
    DepositRefunded,
    DepositSuspended,
    deposit_received,
)
from schemas.topics import namespaced
from services.runtime.dlq import read_letters
from services.settlement.domain.deposits import deposit_id
from tests.e2e.conftest import live_platform
from tests.support.environment import Environment, database_name
from tests.support.kafka import read_all
from tests.support.money import cnh, tokens
from tests.support.polling import eventually
from tests.support.servers import Servers

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# Values no other test uses, so that a hit is this test's and nothing else's.
PERSON = Person(
    "Xiadora Quennel-Batt",
    dt.date(1983, 7, 19),
    "HK",
    "QZ7731904",
    aliases=("Dora Quenbatt",),
    street="47 Lantau Quay Terrace",
)
COMPANY = CorporateParticulars(
    legal_name="Vornhal Tidewater Holdings Limited",
    trading_names=("Vornhal Tidewater",),
    registration_number="HK-QX-558213",
    date_of_incorporation=dt.date(2004, 11, 23),
    country_of_incorporation="HK",
    registered_address=PostalAddress(
        lines=("88 Ombrell Wharf Gardens",), city="Hong Kong", country="HK"
    ),
)
PAYER_ACCOUNT = "HK-004-771203984"
STRANGER = BankAccount(
    holder_name="Pellam Oswin Varrick", account_number="HK-004-660912357", bank_code="004",
    country="HK",
)  # fmt: skip
BENEFICIARY_ACCOUNT = "HK-004-583920417"
"""The account the redemptions pay out to: registered, verified, then named by its id only."""
REMITTANCE_WORDS = "gift from aunt Mirelle Oakhaven"
PROBE_CNH = "13.37"
"""A deposit of this amount breaks the probe constraint on settlement's deposits."""


def needles() -> dict[str, str]:
    """Every personal value used, by what it is (the birth dates in their usual forms)."""
    values = {
        "name": PERSON.name,
        "alias": PERSON.aliases[0],
        "passport": PERSON.document_number,
        "address": PERSON.street,
        "company name": COMPANY.legal_name,
        "trading name": COMPANY.trading_names[0],
        "registration": COMPANY.registration_number,
        "company address": COMPANY.registered_address.lines[0],
        "payer account": PAYER_ACCOUNT,
        "beneficiary account": BENEFICIARY_ACCOUNT,
        "stranger": STRANGER.holder_name,
        "stranger account": STRANGER.account_number,
        "remittance": REMITTANCE_WORDS,
    }
    dates = {"birth date": PERSON.date_of_birth, "incorporated": COMPANY.date_of_incorporation}
    for label, day in dates.items():
        for form in ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d", "%d %b %Y", "%d.%m.%Y"):
            values[f"{label} {form}"] = day.strftime(form)
    return values


# --- the scan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.what!r} in {self.where}"


_BASE64 = re.compile(r"^[A-Za-z0-9+/]{8,}={0,2}$")


def leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text in `value` with its path: JSON documents walked (keys too), base64 and
    JSON inside strings decoded, so an encoded copy is found like a plain one."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}" if path else str(key), str(key)
            yield from leaves(item, f"{path}.{key}" if path else str(key))
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
        return
    if not isinstance(value, str):
        yield path, str(value)
        return
    stripped = value.strip()
    if stripped[:1] in "{[":
        try:
            document = json.loads(stripped)
        except ValueError:
            pass
        else:
            yield from leaves(document, path)
            return
    yield path, value
    if _BASE64.match(stripped):
        try:
            decoded = base64.b64decode(stripped, validate=True)
        except (binascii.Error, ValueError):
            return
        text = decoded.decode("utf-8", errors="ignore")
        if text:
            yield from leaves(text, f"{path}<base64>")


def find(where: str, value: Any, wanted: dict[str, str]) -> list[Hit]:
    hits = []
    for path, text in leaves(value, ""):
        lowered = text.lower()
        for label, needle in wanted.items():
            if needle.lower() in lowered:
                hits.append(Hit(f"{where} {path}".rstrip(), label))
    return hits


SENT_IN_CLEAR: set[str] = set()
"""Message ids of the hostile records this test itself wrote in clear (a version-1
application, a deposit, an unreadable request): input, not a leak, at their own source
offset; any copy of them anywhere else is a hit."""


async def scan_topics(servers: Servers, namespace: str, wanted: dict[str, str]) -> list[Hit]:
    """Every record of every topic of the namespace, from the beginning (as the operator,
    who reads every topic)."""
    hits: list[Hit] = []
    for record in await read_all(servers.reader, [t.name for t in namespaced(namespace)]):
        if _message_id(record.value) in SENT_IN_CLEAR:
            continue
        where = f"topic {record.topic} {record.partition}:{record.offset} {_type_of(record.value)}"
        hits += find(f"{where} key", record.key or b"", wanted)
        hits += find(where, record.value or b"", wanted)
        for name, header in record.headers:
            hits += find(f"{where} header {name}", header, wanted)
    return hits


def _message_id(value: bytes | None) -> str:
    try:
        return str(json.loads(value or b"").get("message_id", ""))
    except (ValueError, AttributeError):
        return ""


def _type_of(value: bytes | None) -> str:
    try:
        return str(json.loads(value or b"").get("type", "?"))
    except (ValueError, AttributeError):
        return "?"


async def scan_databases(
    servers: Servers, databases: dict[str, str], wanted: dict[str, str]
) -> list[Hit]:
    """Every row of every table of every schema of each service's database, as the
    superuser; bytea columns read as text (the outbox and inbox hold messages as bytes)."""
    hits: list[Hit] = []
    for service, dsn in databases.items():
        connection = await asyncpg.connect(servers.dsn(database_name(dsn)))
        try:
            tables = await connection.fetch(
                """
                SELECT table_schema, table_name FROM information_schema.tables
                 WHERE table_type = 'BASE TABLE'
                   AND table_schema NOT IN ('pg_catalog', 'information_schema')
                """
            )
            for table in tables:
                name = f'"{table["table_schema"]}"."{table["table_name"]}"'
                for number, row in enumerate(await connection.fetch(f"SELECT * FROM {name}")):
                    where = (
                        f"table {service}:{table['table_schema']}.{table['table_name']} row{number}"
                    )
                    for column, value in row.items():
                        for hit in find(where, {column: value}, wanted):
                            hits.append(hit)
        finally:
            await connection.close()
    return hits


def scan_files(label: str, paths: list[Path], wanted: dict[str, str], start: int = 0) -> list[Hit]:
    hits: list[Hit] = []
    for path in paths:
        with path.open("rb") as file:
            file.seek(start)
            for number, line in enumerate(file, 1):
                text = line.decode("utf-8", errors="replace")
                lowered = text.lower()
                for what, needle in wanted.items():
                    if needle.lower() in lowered:
                        hits.append(Hit(f"{label} {path.name}:{number}", what))
    return hits


def postgres_log(servers: Servers) -> Path | None:
    """The server log: the local cluster's (infra/postgres/pg.sh notes where it is), or the
    one CNH_TEST_POSTGRES_LOG names for servers named by the environment."""
    named = os.environ.get("CNH_TEST_POSTGRES_LOG")
    if named:
        return Path(named)
    if servers.origin != "local":
        warnings.warn(
            "PostgreSQL's server log is not scanned: set CNH_TEST_POSTGRES_LOG", stacklevel=1
        )
        return None
    location = Path(os.environ.get("RUN_DIR", ".run")) / "pg" / "log-location"
    assert location.is_file(), f"{location} missing: start PostgreSQL with infra/postgres/pg.sh"
    return Path(location.read_text().strip())


# --- the flows ---------------------------------------------------------------------------------


@dataclass
class Scan:
    hits: list[Hit]
    letters: list[DeadLetter]


@pytest.fixture(scope="module")
async def scan(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scan]:
    server_log = postgres_log(servers)
    log_start = server_log.stat().st_size if server_log else 0
    async with live_platform(servers, tmp_path_factory.mktemp("privacy"), probe_constraint) as live:
        platform = live.platform
        await flows(platform, live.outside, live.watcher)
        await hostile(platform, live.outside, live.watcher)
        letters = await dead_letters(platform)
        await asyncio.sleep(1.0)  # the last log lines and the relay's last rows
        wanted = needles()
        hits = await scan_topics(servers, platform.namespace, wanted)
        # the bank is an outside system: it holds the accounts it is asked to pay, as a bank
        # does; the platform's own databases are the ones scanned
        ours = {service: dsn for service, dsn in platform.databases.items() if service != BANK}
        hits += await scan_databases(servers, ours, wanted)
        hits += scan_files("log", sorted(platform.log_dir.glob("*.log")), wanted)
        if server_log is not None:
            hits += scan_files("postgres log", [server_log], wanted, start=log_start)
        yield Scan(hits, letters)


async def probe_constraint(platform: Environment) -> None:
    """A constraint on settlement's deposits that one deposit breaks: the error's DETAIL
    ("Failing row contains ...") repeats the row, the payer's deposit included."""
    dsn = await platform.database("settlement")
    connection = await asyncpg.connect(platform.servers.dsn(database_name(dsn)))
    try:
        probe = cnh(PROBE_CNH).amount_minor
        await connection.execute(
            f"ALTER TABLE deposits ADD CONSTRAINT privacy_probe CHECK (amount_minor <> {probe})"
        )
    finally:
        await connection.close()


async def flows(platform: Environment, outside: Outside, watcher: Watcher) -> None:
    holder = await onboard(outside, watcher, PERSON)
    assert holder.decision == "verified"
    company = uuid.uuid4()
    await outside.apply(
        sealed_application(outside.sealing_key("kyc"), company, "enhanced", COMPANY)
    )
    await outside.flush()
    await watcher.wait_for(CustomerVerified, lambda e: e.customer_id == company, timeout_s=60)

    # the deposit: the payer's own account and a remittance text with words of their own
    payer = holder.bank_account.model_copy(update={"account_number": PAYER_ACCOUNT})
    minted = await fund(
        outside, watcher, holder, cnh("30000.00"), payer=payer, remittance=REMITTANCE_WORDS
    )
    assert isinstance(minted, Minted), minted

    # paid out to an account of their own, registered and verified (the saga names its id)
    own = holder.bank_account.model_copy(update={"account_number": BENEFICIARY_ACCOUNT})
    account_id, decision = await register_account(outside, watcher, holder, own)
    assert decision == "verified", decision
    for currency, amount in (("CNH", "500.00"), ("USD", "700.00")):
        done = await redeem(
            outside, watcher, holder, tokens(amount), currency, beneficiary_account_id=account_id
        )
        assert isinstance(done.outcome, RedemptionCompleted), done.outcome

    # a deposit that names no wallet: suspended, then refunded to its payer by an operator
    bank_reference = await outside.deposit(f"for {REMITTANCE_WORDS}", cnh("88.00"), STRANGER)
    await outside.flush()
    await watcher.wait_for(
        DepositSuspended, lambda e: e.bank_reference == bank_reference, timeout_s=60
    )
    suspended = deposit_id(bank_reference)
    code, out, err = await platform.cli("settlement", "refund", str(suspended))
    assert code == 0, out + err
    await watcher.wait_for(DepositRefunded, lambda e: e.deposit_id == suspended, timeout_s=60)

    # the probe: the deposit's row is refused by the database, the notice dead-lettered
    await outside.deposit(f"Top-up {holder.deposit_reference}", cnh(PROBE_CNH), payer)
    await outside.flush()
    await _letter_of(platform, "settlement", lambda d: d.reason == "retries_exhausted")


async def hostile(platform: Environment, outside: Outside, watcher: Watcher) -> None:
    kyc = outside.sealing_key("kyc")
    particulars = IndividualParticulars(
        full_name=PERSON.name,
        aliases=PERSON.aliases,
        date_of_birth=PERSON.date_of_birth,
        nationality="HK",
        id_document=IdentityDocument(
            kind="passport", number=PERSON.document_number, issuing_country="HK"
        ),
        address=PostalAddress(lines=(PERSON.street,), city="Hong Kong", country="HK"),
    )
    # particulars sealed for another customer, copied into this one's application
    victim, thief = uuid.uuid4(), uuid.uuid4()
    sealed = kyc.seal(particulars, sealing_context(IndividualApplication, victim))
    stolen = IndividualApplication(customer_id=thief, due_diligence="standard", particulars=sealed)
    await outside.apply(stolen)
    await outside.flush()
    # version 1 in clear: an application and a deposit as they were before sealing
    clear_application = {
        **_envelope_fields("kyc.individual_application"),
        "payload": {
            "customer_id": str(uuid.uuid4()),
            "due_diligence": "standard",
            **json.loads(particulars.model_dump_json()),
        },
    }
    clear_deposit = {
        **_envelope_fields("settlement.deposit_received"),
        "payload": {
            "bank_reference": "DEPCLEAR0001",
            "amount": {"amount_minor": 100, "currency": "CNH"},
            "deposit_reference": f"CNH-AAAAAAAAAA {REMITTANCE_WORDS}",
            "payer": json.loads(STRANGER.model_dump_json()),
            "value_date": "2026-12-01",
        },
    }
    await platform.send_raw("kyc.applications", [(b"k", json.dumps(clear_application).encode())])
    await platform.send_raw(
        "settlement.bank-notifications", [(b"DEPCLEAR0001", json.dumps(clear_deposit).encode())]
    )
    # a payer's name the database could never store, sealed like any other
    nul = deposit_received(
        outside.sealing_key("settlement"),
        "DEPNUL000001",
        cnh("1.00"),
        dt.date.today(),
        DepositParticulars.model_construct(
            payer=STRANGER.model_copy(update={"holder_name": f"{STRANGER.holder_name}\x00"}),
            remittance=REMITTANCE_WORDS,
        ),
    )
    await platform.send(
        "settlement.bank-notifications",
        "DEPNUL000001",
        envelope(nul, producer="bank", correlation_id=uuid.uuid4()),
    )
    # a redemption request that cannot be read, with a beneficiary in it
    unreadable = {
        **_envelope_fields("redemption.redeem"),
        "payload": {"beneficiary": json.loads(STRANGER.model_dump_json()), "amount": "lots"},
    }
    await platform.send_raw("redemption.requests", [(b"r", json.dumps(unreadable).encode())])
    await _letter_of(platform, "kyc", lambda d: d.reason == "sealed_tampered")
    await _letter_of(platform, "settlement", lambda d: d.reason == "sealed_invalid_content")


def _envelope_fields(type_name: str) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    SENT_IN_CLEAR.add(message_id)
    return {
        "message_id": message_id,
        "type": type_name,
        "schema_version": 1,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "producer": "hostile",
    }


async def dead_letters(platform: Environment) -> list[DeadLetter]:
    found = await read_letters(platform.servers.reader, platform.namespace, list(SERVICES))
    return [item.letter for item in found]


async def _letter_of(platform: Environment, service: str, wanted: Any) -> DeadLetter:
    async def matching() -> list[DeadLetter]:
        return [d for d in await dead_letters(platform) if d.service == service and wanted(d)]

    found = await eventually(
        matching, bool, interval_s=0.5, what=f"a dead letter of {service}", context=platform.logs
    )
    return found[0]


# --- the verdicts ------------------------------------------------------------------------------


def test_no_personal_value_is_in_clear_anywhere_outside_kyc(scan: Scan) -> None:
    assert not scan.hits, "personal data in clear:\n" + "\n".join(map(str, scan.hits))


def test_dead_letters_of_personal_topics_keep_a_digest_and_a_reason_only(scan: Scan) -> None:
    personal = {t.name for t in namespaced("") if t.personal}
    letters = [d for d in scan.letters if d.source_topic.split(".", 1)[-1] in personal]
    reasons = {letter.reason for letter in letters}
    assert {"sealed_tampered", "sealed_invalid_content", "invalid_payload"} <= reasons
    assert "retries_exhausted" in reasons  # the probe's constraint violation
    for letter in letters:
        assert letter.value_b64 is None
        assert letter.headers == ()
        assert (letter.value_digest or "").startswith("sha256:")
    probe = next(d for d in letters if d.reason == "retries_exhausted")
    assert "sqlstate 23514" in probe.detail
    assert "privacy_probe" in probe.detail
