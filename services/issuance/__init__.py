"""Issuance: the token ledger. Mints on confirmed deposits, holds and burns for redemptions,
and proves supply (minted - burned == balances + holds) against the reserve."""
