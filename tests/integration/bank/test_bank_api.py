"""The simulated bank as an outside system: its own process and database, reached over HTTP,
with real network faults (an error answer, an answer too late, none at all, a crash)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.bank import BankProcess
from tests.support.environment import copy_database, drop_database
from tests.support.servers import Servers

pytestmark = pytest.mark.integration

EVER = {"from": "2000-01-01T00:00:00+00:00", "to": "2100-01-01T00:00:00+00:00"}


@pytest.fixture
async def bank(servers: Servers, tmp_path: Path) -> AsyncIterator[BankProcess]:
    # an empty database owned by the bank's login: the bank migrates it at start
    dsn = await copy_database(servers, "template0", "bank")
    env = {"CNH_DATABASE_URL": dsn, "CNH_BANK_RETURN_DELAY_S": "0.5"}
    process = BankProcess.of(servers.secrets_root, env, tmp_path / "bank.log")
    await process.start()
    try:
        yield process
    finally:
        process.process.stop()
        await drop_database(servers, dsn)


def order(
    account: str = "012-345678-9999", rail: str = "FPS", amount: int = 10_000
) -> dict[str, Any]:
    return {
        "amount_minor": amount,
        "currency": "HKD",
        "beneficiary": {
            "account_number": account,
            "bank_code": "004",
            "holder_name": "Chan Tai Man",
        },
        "remittance": "redemption",
        "rail": rail,
        "end_to_end_id": str(uuid.uuid4()),
    }


async def submit(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/payment-orders", json=body, headers={"Idempotency-Key": key})


async def lines_of(client: httpx.AsyncClient, end_to_end_id: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/statements", params=EVER)
    assert response.status_code == 200, response.text
    return [line for line in response.json()["lines"] if line["end_to_end_id"] == end_to_end_id]


async def test_resubmission_returns_the_same_order_and_books_once(bank: BankProcess) -> None:
    body = order()
    async with bank.client() as client:
        first = await submit(client, "key-1", body)
        again = await submit(client, "key-1", body)
        assert first.status_code == again.status_code == 200, first.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["bank_reference"] == first.json()["bank_reference"]
        assert len(await lines_of(client, body["end_to_end_id"])) == 1


async def test_an_order_is_found_by_the_key_it_was_submitted_under(bank: BankProcess) -> None:
    async with bank.client() as client:
        booked = (await submit(client, "key-found", order())).json()
        found = await client.get("/v1/payment-orders", params={"idempotency_key": "key-found"})
        assert found.status_code == 200, found.text
        assert (found.json()["id"], found.json()["status"]) == (booked["id"], "settled")
        missing = await client.get("/v1/payment-orders", params={"idempotency_key": "never"})
        assert missing.status_code == 404


async def test_a_key_reused_for_another_order_is_refused(bank: BankProcess) -> None:
    async with bank.client() as client:
        assert (await submit(client, "key-2", order())).status_code == 200
        reused = await submit(client, "key-2", order(amount=20_000))
        assert reused.status_code == 422
        assert reused.json()["error"] == "idempotency_key_reused"


async def test_an_order_without_idempotency_key_is_refused(bank: BankProcess) -> None:
    async with bank.client() as client:
        response = await client.post("/v1/payment-orders", json=order())
        assert response.status_code == 400
        assert response.json()["error"] == "idempotency_key_required"


async def test_status_follows_the_account_ending(bank: BankProcess) -> None:
    async with bank.client() as client:
        settled = (await submit(client, "fps", order())).json()
        refused = (await submit(client, "invalid", order("012-345678-0001"))).json()
        pending = (await submit(client, "chats", order(rail="CHATS"))).json()
        returned = (await submit(client, "returned", order("012-345678-0005"))).json()
        assert (settled["status"], refused["status"]) == ("settled", "rejected")
        assert refused["reason"] == "invalid_account"
        assert pending["status"] == "accepted"
        await asyncio.sleep(0.6)  # the return delay of this bank
        queried = (await client.get(f"/v1/payment-orders/{returned['id']}")).json()
        assert (queried["status"], queried["reason"]) == ("returned", "account_closed_after_credit")
        status = await client.get(f"/v1/payment-orders/{settled['id']}")
        assert status.status_code == 200
        assert status.json()["status"] == "settled"
        assert (await client.get(f"/v1/payment-orders/{uuid.uuid4()}")).status_code == 404


async def test_the_statement_lists_the_debit_and_a_return_credit(bank: BankProcess) -> None:
    paid, returned = order(amount=12_345), order("012-345678-0005", amount=500)
    async with bank.client() as client:
        accepted = (await submit(client, "paid", paid)).json()
        await submit(client, "returned", returned)
        (line,) = await lines_of(client, paid["end_to_end_id"])
        assert (line["direction"], line["amount_minor"]) == ("debit", 12_345)
        assert line["order_id"] == accepted["id"]
        assert line["bank_reference"] == accepted["bank_reference"]
        await asyncio.sleep(0.6)
        directions = [
            line["direction"] for line in await lines_of(client, returned["end_to_end_id"])
        ]
        assert directions == ["debit", "credit"]
        assert (await client.get("/v1/statements", params={"from": "yesterday"})).status_code == 400


async def test_account_check(bank: BankProcess) -> None:
    expected = {"-9999": "match", "-0093": "mismatch", "-0091": "not_found", "-0092": "closed"}
    async with bank.client() as client:
        for ending, result in expected.items():
            body = {"account_number": f"012-345678{ending}", "bank_code": "004", "holder_name": "A"}
            response = await client.post("/v1/account-checks", json=body)
            assert response.status_code == 200, response.text
            assert response.json()["result"] == result


async def test_every_call_but_health_needs_the_api_key(bank: BankProcess) -> None:
    for key in ("", "not-the-key"):
        async with bank.client(key=key) as client:
            assert (await submit(client, "k", order())).status_code == 401
            assert (await client.get("/v1/statements", params=EVER)).status_code == 401
            assert (await client.post("/admin/faults", json={"fail_next": 1})).status_code == 401
            assert (await client.get("/health")).status_code == 200


async def test_a_503_then_success_on_retry(bank: BankProcess) -> None:
    body = order()
    async with bank.client() as client:
        await client.post("/admin/faults", json={"fail_next": 1, "status": 503})
        failed = await submit(client, "retried", body)
        assert failed.status_code == 503
        assert await lines_of(client, body["end_to_end_id"]) == []  # nothing was booked
        retried = await submit(client, "retried", body)
        assert retried.status_code == 200
        assert len(await lines_of(client, body["end_to_end_id"])) == 1


@pytest.mark.parametrize(
    "fault",
    [{"delay_next_s": 3}, {"drop_response_after_booking": 1}],
    ids=["answer-too-late", "no-answer"],
)
async def test_an_order_the_client_gave_up_on_is_booked_once_when_submitted_again(
    bank: BankProcess, fault: dict[str, float]
) -> None:
    body = order()
    async with bank.client() as client:
        await client.post("/admin/faults", json=fault)
    async with bank.client(timeout_s=0.5) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await submit(impatient, "gave-up", body)
    async with bank.client() as client:
        again = await submit(client, "gave-up", body)
        assert again.status_code == 200
        (line,) = await lines_of(client, body["end_to_end_id"])
        assert line["order_id"] == again.json()["id"]


async def test_a_bank_restart_keeps_orders_and_idempotency(bank: BankProcess) -> None:
    body = order()
    async with bank.client() as client:
        first = (await submit(client, "before-crash", body)).json()
    bank.process.kill()  # SIGKILL: no shutdown hook runs
    async with bank.client(timeout_s=1) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/health")
    await bank.start()
    async with bank.client() as client:
        kept = await client.get(f"/v1/payment-orders/{first['id']}")
        assert kept.status_code == 200
        assert kept.json()["status"] == "settled"
        again = await submit(client, "before-crash", body)
        assert again.json()["id"] == first["id"]
        assert (await submit(client, "before-crash", order())).status_code == 422
        assert len(await lines_of(client, body["end_to_end_id"])) == 1


async def submit_file(client: httpx.AsyncClient, entries: list[tuple[str, Any]]) -> httpx.Response:
    file = {"orders": [{"idempotency_key": key, "order": body} for key, body in entries]}
    return await client.post("/v1/payment-files", json=file)


async def test_a_payment_file_answers_each_entry_as_the_single_call_would(
    bank: BankProcess,
) -> None:
    settles, refused, silent, lost = (
        order(), order("012-345678-0001"), order("012-345678-0003"), order("012-345678-0006")
    )  # fmt: skip
    async with bank.client() as client:
        assert (await submit(client, "seen-before", settles)).status_code == 200
        response = await submit_file(
            client,
            [
                ("seen-before", settles),  # a re-submission: its first answer
                ("f-refused", refused),
                ("f-silent", silent),  # booked, never answered
                ("f-lost", lost),  # never reaches the books
                ("f-bad", {"amount_minor": -1}),
                ("seen-before", order(amount=1)),  # the key of another order
            ],
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        by_key = {(r["idempotency_key"], r["status"]): r for r in results}
        assert set(by_key) == {
            ("seen-before", 200), ("f-refused", 200), ("f-bad", 400), ("seen-before", 422)
        }  # fmt: skip
        assert by_key["f-refused", 200]["order"]["reason"] == "invalid_account"
        assert by_key["f-bad", 400]["error"] == "invalid_order"
        assert by_key["seen-before", 422]["error"] == "idempotency_key_reused"
        again = (await submit(client, "seen-before", settles)).json()
        assert by_key["seen-before", 200]["order"]["id"] == again["id"]
        assert len(await lines_of(client, settles["end_to_end_id"])) == 1
        assert len(await lines_of(client, silent["end_to_end_id"])) == 1
        assert await lines_of(client, lost["end_to_end_id"]) == []
        assert (await submit(client, "f-silent", silent)).status_code == 200, "answered now"


async def test_a_file_the_client_gave_up_on_is_booked_once_when_submitted_again(
    bank: BankProcess,
) -> None:
    entries = [(f"file-{n}", order()) for n in range(3)]
    async with bank.client() as client:
        await client.post("/admin/faults", json={"drop_response_after_booking": 1})
    async with bank.client(timeout_s=0.5) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await submit_file(impatient, entries)
    async with bank.client() as client:
        again = await submit_file(client, entries)
        assert [r["status"] for r in again.json()["results"]] == [200, 200, 200]
        for result, (_, body) in zip(again.json()["results"], entries, strict=True):
            (line,) = await lines_of(client, body["end_to_end_id"])
            assert line["order_id"] == result["order"]["id"]


async def test_a_file_that_is_not_one_is_refused_whole(bank: BankProcess) -> None:
    async with bank.client() as client:
        empty = await client.post("/v1/payment-files", json={"orders": []})
        assert (empty.status_code, empty.json()["error"]) == (400, "invalid_file")
    async with bank.client(key="wrong") as stranger:
        assert (await submit_file(stranger, [("k", order())])).status_code == 401
