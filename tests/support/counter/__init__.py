"""A test-only service built on the runtime: named counters that commands add to.

Small enough to read at a glance, real enough to prove the runtime's guarantees against
Kafka and PostgreSQL: every effect is a row change, every reply and event goes through the
outbox. Faults are injected through CNH_TEST_* environment variables (see `main`).
"""
