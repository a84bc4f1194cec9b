"""The token ledger's rules, pure: no driver, no broker; the repository stores what these
functions decide.

  ledger.py    the accounts, the ids derived from business keys, the double-entry movements
  outcomes.py  what a decision answers: Proceed | Replay | Cancel | Refusal
  views.py     issuance's local views of KYC's customers and wallets and settlement's deposits
  mints.py     who may be minted to, for which deposit, within the reserve
  holds.py     a hold's life (placed -> released | burned), as a table the decisions consult
  supply.py    the supply invariant
"""
