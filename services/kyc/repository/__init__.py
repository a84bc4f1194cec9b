"""KYC's SQL, one module per aggregate, each a class on the caller's connection (so every
statement runs in the caller's transaction)."""
