"""What the bank's HTTP answers mean for a payment order, a status query and an account
check (services/settlement/adapters/bank/http_bank.py), over httpx's mock transport: the real bank
process is tests/integration/settlement's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from schemas import Money
from schemas.settlement import BankAccount
from services.runtime.retry import TransientError
from services.settlement.adapters.bank.http_bank import HttpBank
from services.settlement.adapters.bank.port import Accepted, NoAnswer, PaymentOrder, Refused

ACCOUNT = BankAccount(
    holder_name="Chan Tai Man", bank_code="004", account_number="012-345678-9999", country="HK"
)
ORDER = PaymentOrder(
    uuid.uuid4(), Money(amount_minor=100, currency="HKD"), ACCOUNT, "FPS", "REDEMPTION x"
)
Answer = Callable[[httpx.Request], httpx.Response]
LATER_REFUSED = {"status": "rejected", "reason": "beneficiary_bank_rejected"}
"""Accepted, then refused by the beneficiary's bank (at once on FPS): its notice follows."""


def bank(answer: Answer) -> HttpBank:
    rail = HttpBank("http://bank.test", "key", timeout_s=1.0)
    rail._client._transport = httpx.MockTransport(answer)  # the network, played
    return rail


def replying(status: int, body: dict[str, Any]) -> Answer:
    return lambda request: httpx.Response(status, json=body)


def failing(error: type[httpx.TransportError]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("played", request=request)

    return answer


async def test_an_order_carries_its_instruction_id_as_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "accepted", "bank_reference": "FPS-1"})

    assert await bank(answer).submit(ORDER) == Accepted("FPS-1")
    assert seen[0].headers["Idempotency-Key"] == str(ORDER.instruction_id)
    assert seen[0].headers["Authorization"] == "Bearer key"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (replying(200, {"status": "settled", "bank_reference": "FPS-1"}), Accepted),
        (replying(200, {"status": "rejected", "reason": "closed_account"}), Refused),
        (replying(200, {**LATER_REFUSED, "bank_reference": "F"}), Accepted),
        (replying(503, {"error": "injected_fault"}), NoAnswer),
        (replying(500, {}), NoAnswer),
        (replying(422, {"error": "idempotency_key_reused"}), NoAnswer),
        (replying(400, {"error": "invalid_order"}), Refused),
        (failing(httpx.ReadTimeout), NoAnswer),
        (failing(httpx.ConnectError), NoAnswer),
    ],
    ids=[
        "settled", "rejected", "refused-later", "503", "500", "key-reused", "400", "timeout",
        "connection",
    ],
)  # fmt: skip
async def test_what_an_answer_to_an_order_means(answer: Answer, expected: type) -> None:
    assert isinstance(await bank(answer).submit(ORDER), expected)


async def test_a_refusal_keeps_the_bank_s_reason() -> None:
    refused = await bank(replying(200, {"status": "rejected", "reason": "closed_account"})).submit(
        ORDER
    )
    assert isinstance(refused, Refused)
    assert refused.reason == "closed_account"


async def test_a_refused_api_key_is_transient_not_a_refusal_of_the_payout() -> None:
    with pytest.raises(TransientError):
        await bank(replying(401, {"error": "unauthorized"})).submit(ORDER)


async def test_a_status_query() -> None:
    found = await bank(
        replying(200, {"status": "rejected", "reason": "invalid_account", "bank_reference": "R"})
    ).status(ORDER.instruction_id)
    assert found is not None
    assert (found.state, found.reason, found.bank_reference) == ("rejected", "invalid_account", "R")
    assert await bank(replying(404, {"error": "not_found"})).status(ORDER.instruction_id) is None


@pytest.mark.parametrize(
    "answer", [replying(503, {}), failing(httpx.ReadTimeout), failing(httpx.ConnectError)]
)
async def test_a_query_or_check_the_bank_does_not_answer_is_transient(answer: Answer) -> None:
    with pytest.raises(TransientError):
        await bank(answer).status(ORDER.instruction_id)
    with pytest.raises(TransientError):
        await bank(answer).check_account(ACCOUNT)


async def test_an_account_check() -> None:
    assert await bank(replying(200, {"result": "mismatch"})).check_account(ACCOUNT) == "mismatch"
