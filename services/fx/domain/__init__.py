"""FX's pure rules: the rate book, quote pricing, and the ledger of trades and reversals.

No broker, no driver: everything here is tested without servers (tests/unit/fx).
"""
