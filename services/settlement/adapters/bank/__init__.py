"""The bank: the rail port settlement pays through (port.py) and its adapter to the bank's
HTTP payment API (http_bank.py). What the bank says afterwards (notices, statements) it delivers
itself on settlement.bank-notifications."""
