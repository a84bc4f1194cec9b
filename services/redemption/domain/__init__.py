"""The saga's pure model: its definition, state and decision function. No I/O here."""
