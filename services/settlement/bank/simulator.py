"""The bank, simulated: accepts or refuses payment orders (behaviours.py), executes them on
its own books, and talks back as a bank integration does: notices (settled, rejected,
returned) and periodic statements of the issuer's account, as records on the
settlement.bank-notifications ingress topic, produced as "bank-simulator".

It keeps its own state in the schema `bank_sim` (its own connection pool, its own
transactions: what the bank did stays done even when settlement's transaction rolls back),
and delivers its messages through the outbox of that database, so that a message the bank
decided to send is sent exactly once, when it is due.

Timings (SettlementSettings): FPS settles at once; CHATS after `settle_delay`; SWIFT after
twice that; "-0004" after `late_delay`; "-0005" is returned `return_delay` after settling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import uuid
from typing import TYPE_CHECKING

from schemas import MESSAGE_TYPES, Message, Money, derive_id, envelope
from schemas.settlement import (
    MAX_STATEMENT_LINES,
    BankStatement,
    PayoutRejectedNotice,
    PayoutRejectReason,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    StatementLine,
)
from services.runtime.db import Connection, Pool, create_pool
from services.runtime.logging import get_logger
from services.runtime.outbox import OutboxWriter
from services.settlement.bank.behaviours import Behaviour, behaviour_of
from services.settlement.bank.port import (
    Accepted,
    NoAnswer,
    PaymentOrder,
    Refused,
    SubmitResult,
)
from services.settlement.settings import SettlementSettings

if TYPE_CHECKING:
    from services.runtime.service import Service

log = get_logger(__name__)

PRODUCER = "bank-simulator"
NOTIFICATIONS = "settlement.bank-notifications"
_STATEMENT_LOCK = 0x6261_6E6B_5354_4D54  # "bankSTMT": one statement writer at a time


class SimulatedBank:
    def __init__(self, settings: SettlementSettings) -> None:
        self._settings = settings
        self._pool: Pool | None = None
        self._opening = asyncio.Lock()

    async def open(self) -> None:
        async with self._opening:  # the task and the first handler may both get here
            if self._pool is None:
                self._pool = await create_pool(self._settings.database_url, min_size=1, max_size=2)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise RuntimeError("the bank is not open")
        return self._pool

    # --- the rail port ---------------------------------------------------------------

    async def submit(self, order: PaymentOrder) -> SubmitResult:
        await self.open()
        behaviour = behaviour_of(order.beneficiary.account_number)
        reference = bank_reference(order.rail, order.instruction_id)
        async with self.pool.acquire() as connection, connection.transaction():
            stored = await connection.fetchval(
                "SELECT outcome FROM bank_sim.payments WHERE instruction_id = $1",
                order.instruction_id,
            )
            if stored is None:
                stored = _outcome(behaviour)
                await connection.execute(
                    """
                    INSERT INTO bank_sim.payments (instruction_id, bank_reference, behaviour,
                        rail, amount_minor, currency, beneficiary, outcome)
                    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
                    """,
                    order.instruction_id,
                    reference,
                    behaviour,
                    order.rail,
                    order.amount.amount_minor,
                    order.amount.currency,
                    order.beneficiary.model_dump_json(),
                    stored,
                )
                await self._execute(connection, order, reference, behaviour)
        # the same order always gets the same answer (the bank dedupes by instruction id)
        if stored == "accepted":
            return Accepted(reference)
        if stored == "no_answer":
            return NoAnswer(f"{order.rail}: no answer from the bank within the deadline")
        reason: PayoutRejectReason = (
            "invalid_account" if stored == "invalid_account" else "closed_account"
        )
        return Refused(reason, f"{order.rail}: beneficiary account refused ({reason})")

    async def _execute(
        self, connection: Connection, order: PaymentOrder, reference: str, behaviour: Behaviour
    ) -> None:
        now = await connection.fetchval("SELECT clock_timestamp()")
        settle_at = now + dt.timedelta(seconds=self._rail_delay(order))
        if behaviour == "settles_late":
            settle_at = now + dt.timedelta(seconds=self._settings.settlement_bank_late_delay_s)
        executes = behaviour in {"settles", "settles_late", "returned", "timeout_executed"}
        if executes:
            await _book(connection, reference, order, "debit", "payment", settle_at)
        if behaviour in {"settles", "settles_late", "returned"}:
            await _schedule(
                connection,
                settle_at,
                PayoutSettledNotice(
                    bank_reference=reference,
                    end_to_end_id=order.instruction_id,
                    amount=order.amount,
                    settled_at=settle_at,
                ),
            )
        if behaviour == "returned":
            return_at = settle_at + dt.timedelta(
                seconds=self._settings.settlement_bank_return_delay_s
            )
            return_reference = f"RTN-{reference}"[:35]
            await _book(connection, return_reference, order, "credit", "return", return_at)
            await _schedule(
                connection,
                return_at,
                PayoutReturnedNotice(
                    bank_reference=return_reference,
                    original_bank_reference=reference,
                    end_to_end_id=order.instruction_id,
                    amount=order.amount,
                    reason="account_closed_after_credit",
                    returned_at=return_at,
                ),
            )
        if behaviour == "beneficiary_rejects":
            await _schedule(
                connection,
                settle_at,
                PayoutRejectedNotice(
                    bank_reference=reference,
                    end_to_end_id=order.instruction_id,
                    reason="beneficiary_bank_rejected",
                    detail="the beneficiary's bank refused the credit",
                    rejected_at=settle_at,
                ),
            )

    def _rail_delay(self, order: PaymentOrder) -> float:
        delay = self._settings.settlement_bank_settle_delay_s
        return {"FPS": 0.0, "SWIFT": 2 * delay}.get(order.rail, delay)

    # --- the bank talking back -----------------------------------------------------------

    async def run(self, service: Service) -> None:
        """Background task: deliver due notices, and send a statement every interval."""
        await self.open()
        interval = self._settings.settlement_bank_statement_interval_s
        next_statement = asyncio.get_running_loop().time() + interval
        try:
            while True:
                try:
                    await self.deliver_due()
                    if asyncio.get_running_loop().time() >= next_statement:
                        await self.send_statement()
                        next_statement += interval
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the bank keeps running; the next tick retries
                    log.warning("bank simulator tick failed", error=repr(exc))
                await asyncio.sleep(self._settings.settlement_bank_poll_interval_s)
        finally:
            await self.close()

    async def deliver_due(self) -> int:
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """
                SELECT id, message_id, bank_reference, type, body FROM bank_sim.messages
                 WHERE delivered_at IS NULL AND due_at <= clock_timestamp()
                 ORDER BY due_at, id LIMIT 200 FOR UPDATE SKIP LOCKED
                """
            )
            if not rows:
                return 0
            outbox = OutboxWriter(connection)
            for row in rows:
                payload = MESSAGE_TYPES[row["type"]].model_validate_json(row["body"])
                self._send(outbox, row["bank_reference"], payload, row["message_id"])
            await connection.execute(
                "UPDATE bank_sim.messages SET delivered_at = clock_timestamp() "
                "WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
            await outbox.flush()
        return len(rows)

    async def send_statement(self) -> str:
        """A statement of the issuer's account: every booking not yet on a statement and
        booked by now, in pages of at most MAX_STATEMENT_LINES lines."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _STATEMENT_LOCK)
            end = await connection.fetchval("SELECT clock_timestamp()")
            last = await connection.fetchrow(
                "SELECT sequence, period_end FROM bank_sim.statements"
                " ORDER BY sequence DESC LIMIT 1"
            )
            interval = dt.timedelta(seconds=self._settings.settlement_bank_statement_interval_s)
            start = last["period_end"] if last else end - interval
            sequence = last["sequence"] + 1 if last else 1
            statement_id = "STMT-" + end.strftime("%Y%m%dT%H%M%S%f")
            assert isinstance(statement_id, str)
            bookings = await connection.fetch(
                """
                SELECT id, bank_reference, end_to_end_id, direction, amount_minor, currency,
                       description, booked_at
                  FROM bank_sim.bookings
                 WHERE statement_id IS NULL AND booked_at <= $1
                 ORDER BY booked_at, id FOR UPDATE
                """,
                end,
            )
            lines = [
                StatementLine(
                    bank_reference=b["bank_reference"],
                    end_to_end_id=b["end_to_end_id"],
                    direction=b["direction"],
                    amount=Money(amount_minor=b["amount_minor"], currency=b["currency"]),
                    booked_at=b["booked_at"],
                    description=b["description"],
                )
                for b in bookings
            ]
            pages = max(1, math.ceil(len(lines) / MAX_STATEMENT_LINES))
            outbox = OutboxWriter(connection)
            for page in range(pages):
                statement = BankStatement(
                    statement_id=statement_id,
                    sequence=sequence,
                    account_number=self._settings.settlement_bank_account,
                    period_start=start,
                    period_end=end,
                    page=page + 1,
                    pages=pages,
                    lines=tuple(
                        lines[page * MAX_STATEMENT_LINES : (page + 1) * MAX_STATEMENT_LINES]
                    ),
                )
                message_id = derive_id(_STATEMENTS, statement_id, str(page + 1))
                # keyed by the account: statements arrive in order, on one partition
                self._send(outbox, self._settings.settlement_bank_account, statement, message_id)
            await connection.execute(
                "UPDATE bank_sim.bookings SET statement_id = $1 WHERE id = ANY($2::bigint[])",
                statement_id,
                [b["id"] for b in bookings],
            )
            await connection.execute(
                "INSERT INTO bank_sim.statements (statement_id, sequence, period_start, period_end)"
                " VALUES ($1, $2, $3, $4)",
                statement_id,
                sequence,
                start,
                end,
            )
            await outbox.flush()
        return statement_id

    def _send(
        self, outbox: OutboxWriter, key: str, payload: Message, message_id: uuid.UUID
    ) -> None:
        env = envelope(payload, producer=PRODUCER, correlation_id=message_id, message_id=message_id)
        outbox.add(self._settings.topic(NOTIFICATIONS), key, env)


_STATEMENTS = uuid.UUID("5b1f0e52-7c1a-4f0b-9f7e-0d3c2b1a4e5f")


def bank_reference(rail: str, instruction_id: uuid.UUID) -> str:
    return f"{rail}-{instruction_id.hex[:20].upper()}"


def _outcome(behaviour: Behaviour) -> str:
    if behaviour in {"invalid_account", "closed_account"}:
        return behaviour
    if behaviour in {"timeout_executed", "timeout_lost"}:
        return "no_answer"
    return "accepted"


async def _book(
    connection: Connection,
    reference: str,
    order: PaymentOrder,
    direction: str,
    what: str,
    at: dt.datetime,
) -> None:
    await connection.execute(
        """
        INSERT INTO bank_sim.bookings (bank_reference, end_to_end_id, direction, amount_minor,
                                       currency, description, booked_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        reference,
        order.instruction_id,
        direction,
        order.amount.amount_minor,
        order.amount.currency,
        f"{what} {order.rail} {order.beneficiary.bank_code}"[:140],
        at,
    )


async def _schedule(
    connection: Connection,
    due_at: dt.datetime,
    notice: PayoutSettledNotice | PayoutRejectedNotice | PayoutReturnedNotice,
) -> None:
    # keyed by the payment's own reference (a return names the payment it returns), so the
    # notices of one payment stay in order on one partition
    reference = (
        notice.original_bank_reference
        if isinstance(notice, PayoutReturnedNotice)
        else notice.bank_reference
    )
    await connection.execute(
        """
        INSERT INTO bank_sim.messages (message_id, bank_reference, type, body, due_at)
        VALUES ($1, $2, $3, $4::jsonb, $5)
        """,
        derive_id(notice.end_to_end_id, "bank", notice.TYPE),
        reference,
        notice.TYPE,
        json.dumps(notice.model_dump(mode="json")),
        due_at,
    )
