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
  bank answers what it answered the first time and never pays twice;
- a batch's orders go in payment files (POST /v1/payment-files, one request per up to
  FILE_MAX_ORDERS orders, each under its own key): a file without an answer or with a 5xx
  leaves each of its orders without an answer, and an order the file's answer leaves out
  got none either; every other order is answered as the single call would answer it.

A status query or an account check the bank does not answer is a TransientError: retried
with the runtime's backoff, never a dead letter.
"""

from __future__ import annotations

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
FILE_MAX_ORDERS = 500
"""Orders per payment file (the bank takes up to 1000; a batch of more is several files)."""
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
        try:
            response = await self._client.post(
                "/v1/payment-orders",
                json=_order_body(order),
                headers={"Idempotency-Key": str(order.instruction_id)},
            )
        except httpx.TransportError as exc:  # timeouts too
            return NoAnswer(f"{order.rail}: no answer from the bank ({type(exc).__name__})")
        return _submitted(order, response.status_code, _json(response))

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        """One payment file per `FILE_MAX_ORDERS` orders; the file's fate (no answer, a 5xx)
        is each order's, and an order the bank's answer leaves out got no answer."""
        unique = list({order.instruction_id: order for order in orders}.values())
        answers: dict[uuid.UUID, SubmitResult] = {}
        for start in range(0, len(unique), FILE_MAX_ORDERS):
            answers |= await self._submit_file(unique[start : start + FILE_MAX_ORDERS])
        return answers

    async def _submit_file(self, orders: list[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        entries = [
            {"idempotency_key": str(order.instruction_id), "order": _order_body(order)}
            for order in orders
        ]
        try:
            response = await self._client.post("/v1/payment-files", json={"orders": entries})
        except httpx.TransportError as exc:
            unanswered = NoAnswer(f"no answer to a payment file ({type(exc).__name__})")
            return {order.instruction_id: unanswered for order in orders}
        body = _json(response)
        if response.status_code != 200 or body is None:
            status = response.status_code
            return {order.instruction_id: _submitted(order, status, body) for order in orders}
        results = {result.get("idempotency_key"): result for result in body.get("results", [])}
        answers: dict[uuid.UUID, SubmitResult] = {}
        for order in orders:
            result = results.get(str(order.instruction_id))
            if result is None:
                answers[order.instruction_id] = NoAnswer(f"{order.rail}: no answer to the order")
            else:
                answers[order.instruction_id] = _submitted(
                    order, result.get("status", 0), result.get("order", result)
                )
        return answers

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


def _order_body(order: PaymentOrder) -> dict[str, Any]:
    return {
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


def _json(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object, or None for a body that is not one (a proxy's error page)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _submitted(order: PaymentOrder, status: int, body: dict[str, Any] | None) -> SubmitResult:
    """What the bank's answer `status` with `body` means for `order`."""
    if status >= 500:
        return NoAnswer(f"{order.rail}: the bank answered {status}")
    if status in (401, 403):
        raise TransientError(f"the bank refused settlement's API key ({status})")
    if body is None:  # unreadable: booked or not, only a notice or a status query tells
        return NoAnswer(f"{order.rail}: the bank answered {status} without a readable body")
    if status == 422 and body.get("error") == "idempotency_key_reused":
        return NoAnswer(f"{order.rail}: the bank holds another order under this instruction id")
    if status != 200:
        return Refused("invalid_account", f"{order.rail}: the bank refused the order ({status})")
    reason = body.get("reason") or ""
    if body.get("status") == "rejected" and reason in _REFUSALS:
        code = cast(PayoutRejectReason, reason)
        return Refused(code, f"{order.rail}: beneficiary account refused ({reason})")
    if not isinstance(reference := body.get("bank_reference"), str):
        return NoAnswer(f"{order.rail}: the bank's answer names no bank reference")
    # accepted, even if executed or refused by the beneficiary's bank since (at once, on
    # FPS): what happened after acceptance comes as the order's notices
    return Accepted(reference)
