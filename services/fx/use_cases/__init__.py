"""FX's use cases, one verb per command or event: `verb(work, message) -> reply`."""
