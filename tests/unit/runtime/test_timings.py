"""The clients' timings (access.Timings): what every client is built with, and what a
service's CNH_KAFKA_* settings change."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.runtime.access import KafkaAccess, Timings
from services.runtime.settings import ServiceSettings


def test_every_client_gets_the_retry_backoff_and_a_producer_waits_out_a_restart() -> None:
    access = KafkaAccess("127.0.0.1:1", "kyc", protocol="PLAINTEXT")
    options = access.client_options()
    assert options["retry_backoff_ms"] == Timings.retry_backoff_ms
    assert options["metadata_max_age_ms"] == Timings.metadata_max_age_ms
    # a tool names its own request timeout (kwargs clash otherwise): none is set for it
    assert "request_timeout_ms" not in options
    assert access.producer_options()["request_timeout_ms"] == Timings.delivery_timeout_ms


def test_a_service_s_settings_reach_its_clients(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CNH_KAFKA_RETRY_BACKOFF_MS", "500")
    monkeypatch.setenv("CNH_KAFKA_DELIVERY_TIMEOUT_MS", "300000")
    settings = ServiceSettings(
        service="kyc", kafka_security="PLAINTEXT", secrets_root=str(tmp_path)
    )
    assert settings.kafka.client_options()["retry_backoff_ms"] == 500
    assert settings.kafka.producer_options()["request_timeout_ms"] == 300_000
    # the logins of other principals (the bank's) carry the same timings
    bank = settings.kafka_logins.of("bank")
    assert bank.producer_options()["request_timeout_ms"] == 300_000
