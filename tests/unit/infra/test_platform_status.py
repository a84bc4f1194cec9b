"""What `make up` and `make status` say of a process that waits."""

from __future__ import annotations

from infra.platform import waiting_for


def test_a_waiting_report_names_each_dependency_not_ready_with_since_attempts_and_error() -> None:
    report = {
        "status": "waiting",
        "dependencies": {
            "postgresql": {"state": "ready", "since": "2026-12-02T03:28:10+00:00", "for_s": 3},
            "kafka": {
                "state": "waiting",
                "since": "2026-12-02T03:28:10+00:00",
                "for_s": 35.2,
                "attempts": 9,
                "error": "KafkaUnreachable: Unable connect to 127.0.0.1:9092",
            },
            "chain": {"state": "unknown", "since": "2026-12-02T03:28:10+00:00", "for_s": 0},
        },
    }
    assert waiting_for(report) == (
        "kafka since 03:28:10 UTC (35 s, 9 attempts: KafkaUnreachable: Unable connect to "
        "127.0.0.1:9092); chain (unknown)"
    )


def test_a_ready_report_waits_for_nothing() -> None:
    assert waiting_for({"status": "ready", "dependencies": {"kafka": {"state": "ready"}}}) == ""
