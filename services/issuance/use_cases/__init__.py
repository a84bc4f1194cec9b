"""Issuance's use cases: one verb per command or fact, `verb(work, message) -> reply`.

mints.py     MintForDeposit (issuance.mints)
holds.py     PlaceHold, ReleaseHold, BurnHeld (issuance.commands)
kyc_view.py  the KYC facts issuance's view of customers and wallets is built from
settlement_view.py  the settlement facts its view of deposits and of the reserve is built from
journal.py   what every command does alike: post a movement, record the decision
work.py      IssuanceWork, the repositories and settings the verbs need
"""
