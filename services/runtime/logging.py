"""Structured logs: one JSON object per line, carrying the ids of the message being handled.

`message_context` binds correlation_id, message_id and type for everything logged while a
message is handled, including by libraries that log through the standard library.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

from services.runtime.errors import describe, scrub
from services.runtime.outages import OutageSummary


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """The net under every log line: an exception passed as a value is described without
    its data, and text in the shapes PostgreSQL quotes rows in is withheld (a traceback
    rendered from exc_info, a library's message). services/runtime/errors.py."""
    for key, value in event.items():
        if isinstance(value, BaseException):
            event[key] = describe(value)
        elif isinstance(value, str) and key != "event":
            event[key] = scrub(value)
    if isinstance(event.get("event"), str):
        event["event"] = scrub(event["event"])
    return event


_shared_processors: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
    structlog.processors.format_exc_info,
    redact,
]


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*_shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(OutageSummary())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka reports every rebalance step at INFO; keep its warnings.
    logging.getLogger("aiokafka").setLevel(max(root.level, logging.WARNING))
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)


@contextmanager
def message_context(**ids: object) -> Iterator[None]:
    """Bind ids (correlation_id, message_id, ...) to every log line inside the block."""
    tokens = structlog.contextvars.bind_contextvars(
        **{key: str(value) for key, value in ids.items() if value is not None}
    )
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
