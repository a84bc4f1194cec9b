"""Settlement: the fiat truth of the platform.

It holds the double-entry ledger of fiat money (the CNH reserve that backs every token, the
operating accounts payouts leave from), matches bank deposits to wallets and asks issuance to
mint, pays redemptions out through the bank rails, releases the reserve after a burn, and
reports reserve coverage to auditors.

    domain/      pure rules: chart of accounts and journal templates, payout and deposit
                 state tables, rail routing, deposit matching, HK business days, the
                 attestation report and its backing checks
    use_cases/   one verb per message or operator action, on a SettlementWork (work.py):
                 deposits, wallets, payouts, notices, reserve, accounts, supply, refunds
    repository/  the SQL per aggregate, the report's readers (attestation, backing), and
                 work.py: SqlWork for a message, SweepWork for a round or an action
    adapters/bank/  the bank rail port and its adapter to the bank's HTTP API (the bank
                 itself is an outside process: simulators/bank)
    handlers.py  the subscriptions (thin: message type -> verb, the batches' prepare)
    reconciliation.py, unanswered.py, reserve_watch.py  the background rounds
    __main__.py  the composition root
    cli.py       operator commands: attest, coverage, refund
"""
