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
"""

from __future__ import annotations

from typing import Literal

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
