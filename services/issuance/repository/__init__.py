"""The ledger's SQL, one module per aggregate. Every balance change locks the accounts it
touches (SELECT ... FOR UPDATE, wallet before issuer totals) inside the caller's transaction;
the database's CHECK constraints refuse a negative wallet or hold whatever the code does.

  kyc_view.py         customers and wallets as KYC told them; the owners a batch reads
  settlement_view.py  the deposits and the reserve as settlement told them
  balances.py         the locked balances of a transaction's accounts
  ledger.py           movements posted to the journal and the accounts; the supply
  mints.py, holds.py  mints; holds and burns
  decisions.py        the audit of every command's outcome
  work.py             SqlWork: the use cases' work on the batch's transaction
"""
