"""The bank's HTTP API, shaped like a real bank's payment API:

    POST /v1/payment-orders        Idempotency-Key header; 200 with the order, the same one
                                   for the same key and body; 422 idempotency_key_reused
    GET  /v1/payment-orders/{id}   accepted | settled | rejected | returned, with a reason
    GET  /v1/payment-orders?idempotency_key=K   the order booked under K (404: none)
    GET  /v1/statements?from=&to=  the issuer's account lines booked in [from, to)
    POST /v1/account-checks        match | mismatch | not_found | closed
    GET  /health                   200 once migrated and PostgreSQL answers (/health/ready too)
    POST /admin/faults             only with CNH_BANK_FAULTS=1 (faults.py)

Every route but /health needs `Authorization: Bearer <key>` (the run folder's bank/api.key).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.runtime.db import Pool, create_pool
from services.runtime.errors import describe
from services.runtime.logging import get_logger
from services.runtime.migrate import upgrade_when_reachable
from simulators.bank import repository
from simulators.bank.behaviours import account_check_of
from simulators.bank.delivery import Delivery
from simulators.bank.faults import FaultRequest, Faults
from simulators.bank.notices import notices_of
from simulators.bank.orders import (
    AccountCheckRequest,
    Delays,
    OrderRequest,
    lines_of,
    new_order,
    status_at,
)
from simulators.bank.repository import Stored
from simulators.bank.settings import BankSettings

MIGRATIONS = Path(__file__).parent / "migrations"
Endpoint = Callable[[Request], Awaitable[Response]]
log = get_logger(__name__)


def _error(status: int, code: str, detail: str = "") -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _order_body(stored: Stored, now: dt.datetime) -> dict[str, Any]:
    status, reason = status_at(stored.order, now)
    return {
        "id": str(stored.order.order_id),
        "bank_reference": stored.order.bank_reference,
        "status": status,
        "reason": reason,
        "created_at": stored.order.created_at.isoformat(),
        **stored.request.model_dump(mode="json"),
    }


class Bank:
    def __init__(self, settings: BankSettings) -> None:
        self.settings = settings
        self.faults = Faults()
        self._key = settings.api_key()
        self._pool: Pool | None = None
        self.delays = Delays(
            settings.bank_settle_delay_s, settings.bank_late_delay_s, settings.bank_return_delay_s
        )

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise RuntimeError("the bank is not open")
        return self._pool

    @asynccontextmanager
    async def lifespan(self, _: Starlette) -> AsyncIterator[None]:
        await upgrade_when_reachable(self.settings, MIGRATIONS, runtime=False)
        self._pool = await create_pool(
            self.settings.database_url, min_size=1, max_size=self.settings.db_pool_max
        )
        delivery = asyncio.create_task(Delivery(self.settings, self._pool).run())
        # the line infra/platform.py and the tests wait for, as for a service
        log.info("service started", port=self.settings.bank_port, faults=self.settings.bank_faults)
        try:
            yield
        finally:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
            await self._pool.close()

    def authorized(self, request: Request) -> bool:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(key.encode(), self._key.encode())

    def guarded(self, endpoint: Endpoint) -> Endpoint:
        """`endpoint` behind the API key, and behind the injected failures for /v1.
        (A wrapper, not an HTTP middleware: a withheld answer must see the client go.)"""

        async def guarded(request: Request) -> Response:
            if not self.authorized(request):
                return _error(401, "unauthorized", "Authorization: Bearer <api key> required")
            if request.url.path.startswith("/v1/") and (status := self.faults.failure()):
                return _error(status, "injected_fault")
            return await endpoint(request)

        return guarded

    async def health(self, _: Request) -> Response:
        try:
            await self.pool.fetchval("SELECT 1")
        except Exception as exc:  # not ready: the probe says why, in words without values
            return _error(503, "not_ready", describe(exc))
        return JSONResponse({"status": "ready"})

    async def submit(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= 255:
            return _error(400, "idempotency_key_required", "header Idempotency-Key (1-255)")
        try:
            order_request = OrderRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, "invalid_order", str(exc.errors(include_input=False)))
        now = _now()
        order = new_order(order_request, now, self.delays)
        if not order.booked:  # the sandbox's lost order: it never reached the books
            return await self._withhold(request)
        lines = lines_of(order, order_request)
        notices = notices_of(order, order_request, lines)
        stored = await repository.book(self.pool, key, order_request, order, lines, notices)
        if stored.request_digest != order_request.digest():
            return _error(422, "idempotency_key_reused", "this key named another order")
        fresh = stored.order.order_id == order.order_id
        if fresh and (not order.answered or self.faults.drop()):
            return await self._withhold(request)
        if fresh and (delay := self.faults.delay()):
            await asyncio.sleep(delay)
        return JSONResponse(_order_body(stored, _now()))

    async def _withhold(self, request: Request) -> Response:
        """No answer: hold the connection until the client gives up (as a bank that hangs)."""
        try:
            async with asyncio.timeout(self.settings.bank_withhold_max_s):
                while (await request.receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass
        return _error(504, "no_answer")

    async def order(self, request: Request) -> Response:
        try:
            order_id = uuid.UUID(request.path_params["order_id"])
        except ValueError:
            return _error(404, "not_found")
        stored = await repository.order_of(self.pool, order_id)
        if stored is None:
            return _error(404, "not_found")
        return JSONResponse(_order_body(stored, _now()))

    async def order_by_key(self, request: Request) -> Response:
        stored = await repository.order_by_key(
            self.pool, request.query_params.get("idempotency_key", "")
        )
        if stored is None:
            return _error(404, "not_found")
        return JSONResponse(_order_body(stored, _now()))

    async def statement(self, request: Request) -> Response:
        try:
            start = dt.datetime.fromisoformat(request.query_params["from"])
            end = dt.datetime.fromisoformat(request.query_params["to"])
        except (KeyError, ValueError):
            return _error(400, "invalid_period", "from and to: ISO 8601 times with an offset")
        if start.tzinfo is None or end.tzinfo is None:
            return _error(400, "invalid_period", "from and to need an offset")
        rows = await repository.statement(self.pool, start, end, _now())
        lines = [
            {
                "bank_reference": row["bank_reference"],
                "order_id": str(row["order_id"]),
                "end_to_end_id": str(row["end_to_end_id"]) if row["end_to_end_id"] else None,
                "direction": row["direction"],
                "amount_minor": row["amount_minor"],
                "currency": row["currency"],
                "description": row["description"],
                "booked_at": row["booked_at"].isoformat(),
            }
            for row in rows
        ]
        return JSONResponse({"from": start.isoformat(), "to": end.isoformat(), "lines": lines})

    async def account_check(self, request: Request) -> Response:
        try:
            check = AccountCheckRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, "invalid_account_check", str(exc.errors(include_input=False)))
        return JSONResponse({"result": account_check_of(check.account_number)})

    async def inject(self, request: Request) -> Response:
        try:
            self.faults.inject(FaultRequest.model_validate_json(await request.body()))
        except ValidationError as exc:
            return _error(400, "invalid_fault", str(exc.errors(include_input=False)))
        return JSONResponse({"status": "injected"})


def create_app(settings: BankSettings) -> Starlette:
    bank = Bank(settings)
    guarded = bank.guarded
    routes = [
        Route("/health", bank.health),
        Route("/health/ready", bank.health),  # where `make status` asks every process
        Route("/v1/payment-orders", guarded(bank.submit), methods=["POST"]),
        Route("/v1/payment-orders", guarded(bank.order_by_key), methods=["GET"]),
        Route("/v1/payment-orders/{order_id}", guarded(bank.order)),
        Route("/v1/statements", guarded(bank.statement)),
        Route("/v1/account-checks", guarded(bank.account_check), methods=["POST"]),
    ]
    if settings.bank_faults:
        routes.append(Route("/admin/faults", guarded(bank.inject), methods=["POST"]))
    return Starlette(routes=routes, lifespan=bank.lifespan)
