"""How the simulated bank treats a payment, chosen by the beneficiary's account number, as
bank sandboxes do. The magic endings:

| account ends | behaviour          | what settlement sees                                       |
|--------------|--------------------|------------------------------------------------------------|
| -0001        | invalid_account    | refused at once: PayoutRejected(invalid_account)           |
| -0002        | closed_account     | refused at once: PayoutRejected(closed_account)            |
| -0003        | timeout_executed   | no answer (PayoutOutcomeUnknown); the bank did execute it: |
|              |                    | no notice ever comes, the statement shows the debit ->     |
|              |                    | reconciliation settles it                                  |
| -0004        | settles_late       | accepted; the settlement notice comes after the late delay |
| -0005        | returned           | accepted, settled, then returned after the return delay    |
| -0006        | timeout_lost       | no answer; the bank never executed it: no statement line ->|
|              |                    | reconciliation fails it (not_executed)                     |
| -0007        | beneficiary_rejects| accepted, then refused by the beneficiary's bank (notice)  |
| anything else| settles            | accepted; settled after the rail's delay (FPS: at once)    |

The bank's account check (confirmation of payee) is chosen the same way, by other endings,
so that an account which passes the check can still show any payment behaviour above:

| account ends | the check answers                                        |
|--------------|----------------------------------------------------------|
| -0091        | not_found: the bank has no such account                  |
| -0092        | closed: the account exists and is closed                 |
| -0093        | mismatch: the bank holds it under another holder name    |
| anything else| match: open, under the holder name given                 |
"""

from __future__ import annotations

from typing import Literal

from schemas.settlement import AccountCheckResult

Behaviour = Literal[
    "invalid_account",
    "closed_account",
    "timeout_executed",
    "settles_late",
    "returned",
    "timeout_lost",
    "beneficiary_rejects",
    "settles",
]

MAGIC: dict[str, Behaviour] = {
    "-0001": "invalid_account",
    "-0002": "closed_account",
    "-0003": "timeout_executed",
    "-0004": "settles_late",
    "-0005": "returned",
    "-0006": "timeout_lost",
    "-0007": "beneficiary_rejects",
}


def behaviour_of(account_number: str) -> Behaviour:
    return MAGIC.get(account_number[-5:], "settles")


ACCOUNT_CHECKS: dict[str, AccountCheckResult] = {
    "-0091": "not_found",
    "-0092": "closed",
    "-0093": "mismatch",
}


def account_check_of(account_number: str) -> AccountCheckResult:
    return ACCOUNT_CHECKS.get(account_number[-5:], "match")
