"""Settlement: the fiat truth of the platform.

It holds the double-entry ledger of fiat money (the CNH reserve that backs every token, the
operating accounts payouts leave from), matches bank deposits to wallets and asks issuance to
mint, pays redemptions out through the bank rails, releases the reserve after a burn, and
reports reserve coverage to auditors.

    domain/      pure rules: chart of accounts and journal templates, payout states, rail
                 routing, deposit matching, HK business days, the attestation report and
                 its backing checks
    repository/  the SQL
    flows/       what happens, in one transaction each: deposits, payouts, reserve,
                 reconciliation, payouts without an answer, attestation, its backing
                 checks and the reserve watch
    bank/        the bank rail port and its adapter to the bank's HTTP API (the bank
                 itself is an outside process: simulators/bank)
    handlers.py  the subscriptions (thin: decode -> flow)
    cli.py       operator commands: attest, refund
"""
