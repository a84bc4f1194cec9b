"""KYC's use cases: one verb per command, event or operator action,
`verb(work, message) -> reply`, reading and changing state through `work` (work.py)."""
