"""What one cross-currency redemption costs the machine, and the upper bound that follows.

Counted from the code (services/redemption/domain/definition.py for the steps, each
service's handlers.py for what a handler emits, the subscriptions for who consumes what).
A cross-currency redemption, quote included:

| hop | consumed by | emitted (outbox rows, relayed) |
|---|---|---|
| QuoteRedemption (ingress) | redemption | RequestQuote -> fx |
| RequestQuote | fx | QuoteIssued reply; QuoteIssued event (fx.events) |
| QuoteIssued reply | redemption | RedemptionQuoted (redemption.events) |
| Redeem (ingress) | redemption | CheckEligibility -> kyc |
| CheckEligibility | kyc | Eligible reply |
| Eligible | redemption | PlaceHold -> issuance |
| PlaceHold | issuance | HoldPlaced reply; HoldPlaced event (issuance.events) |
| HoldPlaced event | settlement | - (consumed, ignored: still an inbox row) |
| HoldPlaced | redemption | ExecuteConversion -> fx |
| ExecuteConversion | fx | ConversionExecuted reply; ConversionExecuted event |
| ConversionExecuted | redemption | SendPayout -> settlement |
| SendPayout | settlement | PayoutSent reply; PayoutSent event (+1 bank transaction) |
| (bank's outbox) | - | PayoutSettledNotice, when the payment settles |
| PayoutSettledNotice (ingress) | settlement | PayoutSettled event |
| PayoutSent | redemption | BurnHeld -> issuance |
| BurnHeld | issuance | Burned reply; Burned event |
| Burned event | settlement | - (supply record) |
| Burned | redemption | ReleaseReserve -> settlement |
| ReleaseReserve | settlement | ReserveReleased reply |
| ReserveReleased | redemption | RedemptionCompleted (redemption.events) |

Totals: 19 records consumed by services (each one inbox row, each in some batch's
transaction), 23 records produced by relays + 2 by the client (QuoteRedemption, Redeem) =
25 produced, and the bench's own consumption of 2 outcome events (RedemptionQuoted,
RedemptionCompleted) = 21 consumed. Rows written: measured in the run (pg_stat_database
deltas over a load step, per completed redemption), since a handler's state changes
(ledger lines, saga log, ...) are not one fixed count per message. One transaction is not
batched: the simulated bank books each payment order in its own transaction (it models an
external bank's API call that must stay done even if settlement's transaction rolls back).

The bound: all of it runs on the same two cores, so the costs add up rather than overlap:
  seconds per redemption >= produced / produce_rate + consumed / consume_rate
                            + rows_written / batched_rows_rate + bank_tx / single_tx_rate
and bound = 1 / that. It is optimistic on purpose: it leaves out the Python work of the
handlers themselves (decoding, validation, domain logic), which is what the profile shows.
"""

from __future__ import annotations

from typing import Any

from bench.limits import Limits

PRODUCED = 25
CONSUMED = 21
BANK_TRANSACTIONS = 1


def bound(limits: Limits, rows_per_redemption: float) -> dict[str, Any]:
    parts = {
        "kafka_produce_s": PRODUCED / limits.kafka_produce_msg_s,
        "kafka_consume_s": CONSUMED / limits.kafka_consume_msg_s,
        "pg_batched_rows_s": rows_per_redemption / limits.pg_batched_rows_s,
        "pg_single_tx_s": BANK_TRANSACTIONS / limits.pg_single_row_tx_s,
    }
    per_redemption = sum(parts.values())
    return {
        "bound_redemptions_per_s": round(1 / per_redemption, 1),
        "produced_per_redemption": PRODUCED,
        "consumed_per_redemption": CONSUMED,
        "bank_transactions_per_redemption": BANK_TRANSACTIONS,
        "rows_written_per_redemption": round(rows_per_redemption, 1),
        "seconds_per_redemption": {k: round(v * 1e6, 1) for k, v in parts.items()},
        "seconds_unit": "microseconds",
    }
