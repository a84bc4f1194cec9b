"""What the platform's outside world does, as a library: the onboarding producer, the bank
that credits deposits, the market-data feed, the wallet gateway that asks for redemptions,
and a watcher of the facts the services publish. Used by `make demo`, the end-to-end tests
and the benchmark; never by the services themselves."""
