"""An exception in a log line or a dead letter never repeats the row or the input it is
about: PostgreSQL errors are reduced to names, the logging processor scrubs the rest."""

from __future__ import annotations

import json
import logging

import asyncpg
import pytest
from pydantic import BaseModel, ValidationError

from schemas.sealed import SealError
from services.runtime.errors import describe, scrub
from services.runtime.logging import configure_logging, get_logger
from services.runtime.retry import permanent

ROW = "Failing row contains (7, Alice Wong, K1234567, 1985-03-14)."


def check_violation() -> asyncpg.PostgresError:
    error = asyncpg.CheckViolationError(
        'new row for relation "deposits" violates check constraint "deposits_amount_check"'
    )
    error.detail = ROW
    error.constraint_name = "deposits_amount_check"
    error.table_name = "deposits"
    error.schema_name = "public"
    return error


def test_a_postgres_error_is_reduced_to_its_names() -> None:
    text = describe(check_violation())
    assert text == (
        "CheckViolationError: sqlstate 23514, constraint deposits_amount_check, "
        "schema public, table deposits"
    )
    assert "Alice" not in text


def test_a_validation_error_names_fields_and_kinds_only() -> None:
    class Person(BaseModel):
        age: int

    with pytest.raises(ValidationError) as caught:
        Person(age="Alice Wong")
    assert describe(caught.value) == "ValidationError: age: int_parsing"


def test_a_sealed_value_that_does_not_open_is_permanent() -> None:
    doomed = permanent(SealError("tampered", "does not open"))
    assert doomed is not None
    assert doomed.reason == "sealed_tampered"
    assert permanent(ValueError("x")) is None


@pytest.mark.parametrize(
    "text",
    [
        f"DETAIL:  {ROW}",
        ROW,
        "DETAIL:  Key (passport)=(K1234567) already exists.",
        'invalid input syntax for type uuid: "Alice Wong"',
    ],
)
def test_text_in_the_shapes_postgres_quotes_rows_in_is_scrubbed(text: str) -> None:
    assert "Alice" not in scrub(text)
    assert "K1234567" not in scrub(text)


def test_the_logging_processor_is_the_net(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("settlement", "INFO", "json")
    error = check_violation()
    get_logger("test").warning("batch failed", error=error, text=str(error))
    try:
        raise RuntimeError(f"wrapped\nDETAIL:  {ROW}")
    except RuntimeError:
        get_logger("test").exception("handler crashed")
    logging.getLogger("a.library").error("library says %s", ROW)
    out = capsys.readouterr().err
    assert "Alice" not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["error"].startswith("CheckViolationError: sqlstate 23514")
