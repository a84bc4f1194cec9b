"""Settlement's SQL, one module per aggregate (each a class on the transaction's connection,
most of them staged: read for a whole batch, written just before its commit); the report's
readers (attestation, backing); and work.py, the use cases' work on a transaction."""
