"""The rail port over the bank's HTTP payment API (simulators/bank, or any bank with its
shape), reached at CNH_SETTLEMENT_BANK_URL with settlement's API key.

What an answer means for the money:
- a timeout, a connection error or a 5xx: the order may or may not be executed (NoAnswer);
  the bank's notice, statement or a status query (unanswered.py) tells later;
- 200: the order as the bank booked it: refused by the bank (Refused, with its reason), or
  accepted (whatever happened to it since: its notices tell);
- another 4xx: the bank refused the request itself, nothing was booked (Refused), except a
  key it already holds for another order (NoAnswer: that order's fate is unknown here) and
  a refused API key (a TransientError: no order is at fault, an operator is);
- the same order submitted again carries the same Idempotency-Key (its instruction id): the
  bank answers what it answered the first time and never pays twice.

A status query or an account check the bank does not answer is a TransientError: retried
with the runtime's backoff, never a dead letter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import httpx

from schemas.settlement import AccountCheckResult, BankAccount, PayoutRejectReason
from services.runtime.retry import TransientError
from services.settlement.adapters.bank.port import (
    Accepted,
    NoAnswer,
    OrderState,
    OrderStatus,
    PaymentOrder,
    Refused,
    SubmitResult,
)

API_KEY_FILE = "bank-api.key"  # infra/secrets.py copies the bank's key into settlement's folder
_REFUSALS: frozenset[str] = frozenset({"invalid_account", "closed_account"})
"""The reasons the bank refuses an order for at submission (nothing was executed)."""
_CHECKS: frozenset[str] = frozenset({"match", "mismatch", "not_found", "closed"})


class HttpBank:
    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            # the deadline is the bank's to meet; waiting for one of our own connections
            # is not, or a full batch would time out orders it never sent
            timeout=httpx.Timeout(timeout_s, pool=None),
            limits=httpx.Limits(max_connections=64),
        )

    @classmethod
    def of_folder(cls, base_url: str, secrets_dir: Path, timeout_s: float) -> HttpBank:
        key = (secrets_dir / API_KEY_FILE).read_text().strip()
        return cls(base_url, key, timeout_s)

    async def close(self) -> None:
        await self._client.aclose()

    async def submit(self, order: PaymentOrder) -> SubmitResult:
        body = {
            "amount_minor": order.amount.amount_minor,
            "currency": order.amount.currency,
            "beneficiary": {
                "account_number": order.beneficiary.account_number,
                "bank_code": order.beneficiary.bank_code,
                "holder_name": order.beneficiary.holder_name,
            },
            "remittance": order.remittance,
            "rail": order.rail,
            "end_to_end_id": str(order.instruction_id),
        }
        try:
            response = await self._client.post(
                "/v1/payment-orders",
                json=body,
                headers={"Idempotency-Key": str(order.instruction_id)},
            )
        except httpx.TransportError as exc:  # timeouts too
            return NoAnswer(f"{order.rail}: no answer from the bank ({type(exc).__name__})")
        return _submitted(order, response)

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        unique = list({order.instruction_id: order for order in orders}.values())
        answers = await asyncio.gather(*(self.submit(order) for order in unique))
        return {order.instruction_id: answer for order, answer in zip(unique, answers, strict=True)}

    async def status(self, instruction_id: uuid.UUID) -> OrderStatus | None:
        response = await self._call(
            "GET", "/v1/payment-orders", params={"idempotency_key": str(instruction_id)}
        )
        if response.status_code == 404:
            return None
        body = _answered(response, "status query")
        return OrderStatus(
            state=cast(OrderState, body["status"]),
            reason=body.get("reason"),
            bank_reference=body["bank_reference"],
        )

    async def check_account(self, account: BankAccount) -> AccountCheckResult:
        response = await self._call(
            "POST",
            "/v1/account-checks",
            json={
                "account_number": account.account_number,
                "bank_code": account.bank_code,
                "holder_name": account.holder_name,
            },
        )
        if response.status_code == 400:
            return "not_found"  # an account number the bank cannot even read
        result = _answered(response, "account check").get("result")
        if result not in _CHECKS:
            raise TransientError(f"the bank's account check answered {result!r}")
        return cast(AccountCheckResult, result)

    async def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, **options)
        except httpx.TransportError as exc:
            raise TransientError(f"the bank did not answer {path}: {type(exc).__name__}") from exc


def _answered(response: httpx.Response, what: str) -> dict[str, Any]:
    """The body of a 200; any other answer is one to wait out."""
    if response.status_code != 200:
        raise TransientError(f"the bank answered the {what} {response.status_code}")
    body: dict[str, Any] = response.json()
    return body


def _submitted(order: PaymentOrder, response: httpx.Response) -> SubmitResult:
    status = response.status_code
    if status >= 500:
        return NoAnswer(f"{order.rail}: the bank answered {status}")
    if status in (401, 403):
        raise TransientError(f"the bank refused settlement's API key ({status})")
    body = response.json()
    if status == 422 and body.get("error") == "idempotency_key_reused":
        return NoAnswer(f"{order.rail}: the bank holds another order under this instruction id")
    if status != 200:
        return Refused("invalid_account", f"{order.rail}: the bank refused the order ({status})")
    reason = body.get("reason") or ""
    if body["status"] == "rejected" and reason in _REFUSALS:
        code = cast(PayoutRejectReason, reason)
        return Refused(code, f"{order.rail}: beneficiary account refused ({reason})")
    # accepted, even if executed or refused by the beneficiary's bank since (at once, on
    # FPS): what happened after acceptance comes as the order's notices
    return Accepted(body["bank_reference"])
