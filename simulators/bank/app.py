"""The bank's HTTP API, shaped like a real bank's payment API:

    POST /v1/payment-orders        Idempotency-Key header; 200 with the order, the same one
                                   for the same key and body; 422 idempotency_key_reused
    POST /v1/payment-files         many orders, each under its own key, booked in one go: 200
                                   with a result per entry as the single call would answer it
                                   (an order the bank does not answer has no result)
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
    FileEntry,
    OrderRequest,
    PaymentFile,
    lines_of,
    new_order,
    status_at,
)
from simulators.bank.repository import Booking, Stored
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


Answer = tuple[int, dict[str, Any]]


def _answer(request: OrderRequest, booking: Booking, stored: Stored) -> Answer | None:
    """The bank's answer to `request` submitted under a key that holds `stored` (None: it
    does not answer this one). `booking` is what this submission would have booked."""
    if stored.request_digest != request.digest():
        return 422, {"error": "idempotency_key_reused", "detail": "this key named another order"}
    if _fresh(booking, stored) and not booking.order.answered:
        return None
    return 200, _order_body(stored, _now())


def _fresh(booking: Booking, stored: Stored) -> bool:
    """Whether this submission booked the order (not an earlier one under its key)."""
    return stored.order.order_id == booking.order.order_id


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

    def _booking(self, key: str, request: OrderRequest, now: dt.datetime) -> Booking:
        order = new_order(request, now, self.delays)
        lines = lines_of(order, request)
        return Booking(key, request, order, lines, notices_of(order, request, lines))

    async def submit(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= 255:
            return _error(400, "idempotency_key_required", "header Idempotency-Key (1-255)")
        try:
            order_request = OrderRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, "invalid_order", str(exc.errors(include_input=False)))
        booking = self._booking(key, order_request, _now())
        if not booking.order.booked:  # the sandbox's lost order: it never reached the books
            return await self._withhold(request)
        stored = (await repository.book(self.pool, [booking]))[key]
        answer = _answer(order_request, booking, stored)
        fresh = _fresh(booking, stored)
        if answer is None or (fresh and self.faults.drop()):
            return await self._withhold(request)
        if fresh and (delay := self.faults.delay()):
            await asyncio.sleep(delay)
        status, body = answer
        return JSONResponse(body, status_code=status)

    async def submit_file(self, request: Request) -> Response:
        """A payment file: its orders booked in one transaction, each answered as alone,
        and the file's answer withheld or delayed as a whole (the network fails a request,
        not an entry)."""
        try:
            file = PaymentFile.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, "invalid_file", str(exc.errors(include_input=False)))
        now = _now()
        results: list[dict[str, Any]] = []
        entries: list[FileEntry] = []
        for raw in file.orders:
            try:
                entries.append(FileEntry.model_validate(raw))
            except ValidationError as exc:
                detail = str(exc.errors(include_input=False))
                key = raw.get("idempotency_key")
                results.append({"idempotency_key": key, "status": 400, "error": "invalid_order",
                                "detail": detail})  # fmt: skip
        bookings: dict[str, Booking] = {}
        for entry in entries:  # a key repeated in the file is a re-submission of its first
            if entry.idempotency_key not in bookings:
                bookings[entry.idempotency_key] = self._booking(
                    entry.idempotency_key, entry.order, now
                )
        # the sandbox's lost orders never reach the books: they get no result
        booked = [b for b in bookings.values() if b.order.booked]
        stored = await repository.book(self.pool, booked) if booked else {}
        fresh = False
        for entry in entries:
            kept = stored.get(entry.idempotency_key)
            if kept is None:
                continue
            booking = bookings[entry.idempotency_key]
            fresh = fresh or _fresh(booking, kept)
            if (answer := _answer(entry.order, booking, kept)) is not None:
                status, body = answer
                key = entry.idempotency_key
                results.append({"idempotency_key": key, "status": status} | _placed(status, body))
        if fresh and self.faults.drop():
            return await self._withhold(request)
        if fresh and (delay := self.faults.delay()):
            await asyncio.sleep(delay)
        return JSONResponse({"results": results})

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


def _placed(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A file result's body: the order it booked, or the error."""
    return {"order": body} if status == 200 else body


def create_app(settings: BankSettings) -> Starlette:
    bank = Bank(settings)
    guarded = bank.guarded
    routes = [
        Route("/health", bank.health),
        Route("/health/ready", bank.health),  # where `make status` asks every process
        Route("/v1/payment-orders", guarded(bank.submit), methods=["POST"]),
        Route("/v1/payment-orders", guarded(bank.order_by_key), methods=["GET"]),
        Route("/v1/payment-files", guarded(bank.submit_file), methods=["POST"]),
        Route("/v1/payment-orders/{order_id}", guarded(bank.order)),
        Route("/v1/statements", guarded(bank.statement)),
        Route("/v1/account-checks", guarded(bank.account_check), methods=["POST"]),
    ]
    if settings.bank_faults:
        routes.append(Route("/admin/faults", guarded(bank.inject), methods=["POST"]))
    return Starlette(routes=routes, lifespan=bank.lifespan)
