"""The simulated bank as an outside system: `python -m simulators.bank`, an HTTP payment API
(payment orders with idempotency keys, status, statements, account checks) on its own
database, so that settlement meets real network faults (docs/ARCHITECTURE.md)."""
