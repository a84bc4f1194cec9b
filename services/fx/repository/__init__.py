"""FX's SQL, one module per aggregate (the rate book, holds, quotes, conversions, positions,
the journal). Every write happens in the caller's transaction."""
