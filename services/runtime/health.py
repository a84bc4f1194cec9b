"""The process's HTTP endpoint: `/health/live` and `/health/ready` (JSON).

Live answers 200 while the process runs its event loop. Ready answers 200 once the service
consumes and every dependency answered, 503 otherwise, with each dependency's state
(readiness.py): `make status` reads it. Served by uvicorn in the service's own event loop
from the first moment of the start, so a process waiting for its dependencies can say so.
Metrics and the operator console are meant to join these routes on the same server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.runtime.dependencies import StartFailed
from services.runtime.readiness import Readiness
from services.runtime.settings import ServiceSettings


def health_app(readiness: Readiness) -> Starlette:
    async def live(_request: Request) -> JSONResponse:
        return JSONResponse({"service": readiness.service, "status": "alive"})

    async def ready(_request: Request) -> JSONResponse:
        return JSONResponse(readiness.report(), status_code=200 if readiness.is_ready else 503)

    return Starlette(routes=[Route("/health/live", live), Route("/health/ready", ready)])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # the service handles SIGTERM itself and stops this server on its way out
        yield


@contextlib.asynccontextmanager
async def serving(settings: ServiceSettings, readiness: Readiness) -> AsyncIterator[None]:
    """Serve the health endpoint for the duration of the block (port 0: none)."""
    if not settings.health_port:
        yield
        return
    config = uvicorn.Config(
        health_app(readiness),
        host=settings.health_host,
        port=settings.health_port,
        lifespan="off",
        access_log=False,  # `make status` and probes would fill the log
        log_config=None,  # through the root handler: JSON like every other line
    )
    server = _Server(config)
    task = asyncio.create_task(_serve(server), name="health")
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn sets a flag)
        await asyncio.sleep(0.01)
    if task.done():
        task.result()  # a port that cannot be bound ends the start
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit:  # uvicorn's answer to a port it cannot bind, after logging why
        config = server.config
        raise StartFailed(
            f"health endpoint: cannot listen on {config.host}:{config.port}"
        ) from None
