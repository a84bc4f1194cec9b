"""Logs are JSON lines that carry the ids of the message being handled."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from services.runtime.logging import configure_logging, get_logger, message_context


def test_log_lines_carry_the_service_and_the_message_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("issuance", "INFO", "json")
    correlation, message = uuid.uuid4(), uuid.uuid4()
    with message_context(correlation_id=correlation, message_id=message):
        get_logger("test").info("hold placed", wallet="w-1")
        logging.getLogger("a.library").warning("library line")  # stdlib loggers too
    get_logger("test").info("outside")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "hold placed"
    assert lines[0]["correlation_id"] == str(correlation)
    assert lines[0]["message_id"] == str(message)
    assert lines[0]["service"] == "issuance"
    assert lines[1]["correlation_id"] == str(correlation)
    assert "correlation_id" not in lines[2], "ids are unbound when the message is done"
