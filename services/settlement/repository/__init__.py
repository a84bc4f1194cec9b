"""Settlement's SQL: one function per query, used by the flows (asyncpg connections)."""
