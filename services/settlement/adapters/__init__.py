"""Settlement's adapters to outside systems: the bank (its rail port and HTTP client)."""
