"""Applications and wallet registrations: decisions as events with ids only; personal
data encrypted at rest and absent from every published message and every log line."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from schemas.kyc import IndividualParticulars
from services.kyc import pii
from services.kyc.crypto import KeyRing
from tests.integration.kyc.support import (
    account_checks,
    apply,
    bank_account,
    cli,
    company,
    events,
    person,
    wallet,
)
from tests.support.environment import Environment

pytestmark = pytest.mark.integration


async def test_applications_are_decided_and_no_personal_data_leaves_the_service(
    platform: Environment,
) -> None:
    kyc = await platform.start("kyc")
    clear = person("Wing Yan Chau", document="K7766554", street="88 Gloucester Road")
    # the bundled fixture list's Viktor Anselm Krallenberg, names reordered, accents added
    listed = person(
        "Krallenbérg, Viktor Anselm",
        born=dt.date(1968, 4, 12),
        nationality="PA",
        document="PA990011",
        street="3 Calle Sol",
    )
    # a close name but other birth year and nationality: a possible match, for review
    possible = person(
        "Marisol Quintera Valdespino",
        born=dt.date(1975, 2, 2),
        nationality="AR",
        document="AR123456",
        street="9 Avenida Norte",
    )
    corporate = company("Harbour Lights Trading Limited", registration="HK-5544332")
    signed, unsigned = wallet(clear.customer_id), wallet(corporate.customer_id, signed=False)
    await apply(platform, clear, listed, possible, corporate, signed, unsigned)

    published = await events(platform, 6)

    kinds = {(e.payload.customer_id, e.type) for e in published}
    assert (clear.customer_id, "kyc.customer_verified") in kinds
    assert (listed.customer_id, "kyc.customer_rejected") in kinds
    assert (possible.customer_id, "kyc.customer_referred") in kinds
    assert (corporate.customer_id, "kyc.customer_verified") in kinds
    registered = {
        e.payload.wallet_id: e.payload for e in published if e.type == "kyc.wallet_registered"
    }
    assert registered[signed.wallet_id].proof_of_control == "verified"
    assert registered[unsigned.wallet_id].proof_of_control == "pending"
    assert all(re.fullmatch(r"CNH-[A-Z0-9]{10}", w.deposit_reference) for w in registered.values())
    verified = next(e for e in published if e.payload.customer_id == clear.customer_id)
    assert verified.payload.tier == "standard"

    # Personal data: nowhere in Kafka messages, logs, or the database in clear text.
    secrets = [
        "Wing Yan Chau",
        "K7766554",
        "88 Gloucester Road",
        "1990-05-17",
        "Krallenb",
        "PA990011",
        "Calle Sol",
        "1968-04-12",
        "Quintera",
        "AR123456",
        "Avenida Norte",
        "Harbour Lights",
        "HK-5544332",
        "Connaught",
    ]
    everything = b"".join(
        r.value + repr(r.headers).encode()
        for r in await platform.read("kyc.events", lambda rs: len(rs) >= 6)
    )
    logs = kyc.log_path.read_text()
    rows = await platform.query(
        "kyc",
        "SELECT (SELECT string_agg(row_to_json(c)::text, ' ') FROM customers c) || "
        "(SELECT string_agg(row_to_json(h)::text, ' ') FROM kyc_history h) AS dump",
    )
    dump = rows[0]["dump"]
    for secret in secrets:
        assert secret.encode() not in everything, secret
        assert secret not in logs, secret
        assert secret not in dump, secret
    # the log does say what was decided, by id
    assert str(listed.customer_id) in logs
    assert "DEVELOPMENT encryption key" not in logs  # the run folder gives KYC its own ring
    assert "sanctions lists active" in logs
    stored = await platform.query("kyc", "SELECT pii_key_id, status FROM customers")
    ring = (platform.servers.secrets_root / "kyc" / "records.keys").read_text()
    assert {r["pii_key_id"] for r in stored} == {ring.split(":", 1)[0]}


OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


async def test_after_a_rotation_the_records_are_encrypted_again_under_the_active_key(
    platform: Environment,
) -> None:
    # the ring named in the settings: the run folder's own file is every test's
    await platform.start("kyc", CNH_KYC_ENCRYPTION_KEYS=f"k1:{OLD}")
    applicants = [person(f"Rotating Customer {n}", document=f"R00{n}44") for n in range(3)]
    await apply(platform, *applicants)
    await events(platform, 3)
    account = bank_account(platform, applicants[0].customer_id, "Rotating Customer 0")
    await apply(platform, account)
    await account_checks(platform, 1)  # stored under k1, then sent to the bank's check

    rotated = {"CNH_KYC_ENCRYPTION_KEYS": f"k2:{NEW},k1:{OLD}"}
    code, out = await cli(platform, "reencrypt", env=rotated)
    assert code == 0, out
    assert out.startswith("3 customer record(s) and 1 bank account(s) encrypted again under key k2")
    code, out = await cli(platform, "reencrypt", env=rotated)
    assert out.startswith("0 customer record(s) and 0 bank account(s)"), out

    rows = await platform.query(
        "kyc", "SELECT customer_id, kind, pii_key_id, pii_ciphertext FROM customers"
    )
    retired = KeyRing.parse(f"k2:{NEW}", "k2")  # k1 can go now
    opened = [
        pii.unseal(retired, r["customer_id"], r["kind"], r["pii_key_id"], r["pii_ciphertext"])
        for r in rows
    ]
    assert {p.full_name for p in opened if isinstance(p, IndividualParticulars)} == {
        f"Rotating Customer {n}" for n in range(3)
    }
    [stored] = await platform.query(
        "kyc", "SELECT customer_id, account_id, pii_key_id, pii_ciphertext FROM bank_accounts"
    )
    details = pii.open_account(retired, *stored.values())
    assert details.holder_name == "Rotating Customer 0"
