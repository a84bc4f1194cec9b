"""The bank, simulated: accepts or refuses payment orders (behaviours.py), executes them on
its own books, and talks back as a bank integration does: notices (settled, rejected,
returned) and periodic statements of the issuer's account, as records on the
settlement.bank-notifications ingress topic, produced as "bank-simulator".

It keeps its own state in the schema `bank_sim` (its own connection pool, its own
transactions: what the bank did stays done even when settlement's transaction rolls back),
and delivers its messages itself, as an outside system does: logged in to Kafka as the
`bank` principal (settlement may not write its own ingress topic), each due message is
published and then marked delivered; a message published but not yet marked when the bank
stops is published again, and settlement drops the copy by its message id.

Timings (SettlementSettings): FPS settles at once; CHATS after `settle_delay`; SWIFT after
twice that; "-0004" after `late_delay`; "-0005" is returned `return_delay` after settling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer

from schemas import MESSAGE_TYPES, Message, Money, derive_id, envelope, record_headers
from schemas.settlement import (
    MAX_STATEMENT_LINES,
    AccountCheckResult,
    BankAccount,
    BankStatement,
    PayoutRejectedNotice,
    PayoutRejectReason,
    PayoutReturnedNotice,
    PayoutSettledNotice,
    StatementLine,
)
from services.runtime.db import Connection, Pool, columns, create_pool
from services.runtime.errors import describe
from services.runtime.logging import get_logger
from services.settlement.bank.behaviours import Behaviour, account_check_of, behaviour_of
from services.settlement.bank.port import (
    Accepted,
    NoAnswer,
    PaymentOrder,
    Refused,
    SubmitResult,
)
from services.settlement.domain.payouts import account_digest
from services.settlement.settings import SettlementSettings

if TYPE_CHECKING:
    from services.runtime.service import Service

log = get_logger(__name__)

PRODUCER = "bank-simulator"
NOTIFICATIONS = "settlement.bank-notifications"
_STATEMENT_LOCK = 0x6261_6E6B_5354_4D54  # "bankSTMT": one statement writer at a time
_SEND_TIMEOUT_S = 30.0


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
        return (await self.submit_all([order]))[order.instruction_id]

    async def submit_all(self, orders: Sequence[PaymentOrder]) -> dict[uuid.UUID, SubmitResult]:
        await self.open()
        unique = sorted({o.instruction_id: o for o in orders}.values(), key=_instruction)
        if not unique:
            return {}
        now = _clock()
        payments, bookings, notices = [], [], []
        for order in unique:
            behaviour = behaviour_of(order.beneficiary.account_number)
            reference = bank_reference(order.rail, order.instruction_id)
            payments.append((
                order.instruction_id, reference, behaviour, order.rail,
                order.amount.amount_minor, order.amount.currency,
                account_digest(order.beneficiary), _outcome(behaviour),
            ))  # fmt: skip
            booked, said = self._consequences(order, reference, behaviour, now)
            bookings += [
                (
                    order.instruction_id, b.reference, b.direction, order.amount.amount_minor,
                    order.amount.currency,
                    f"{b.what} {order.rail} {order.beneficiary.bank_code}"[:140], b.at,
                )
                for b in booked
            ]  # fmt: skip
            notices += [
                (
                    order.instruction_id, derive_id(n.end_to_end_id, "bank", n.TYPE),
                    _notice_key(n), n.TYPE, json.dumps(n.model_dump(mode="json")), due,
                )
                for due, n in said
            ]  # fmt: skip
        # One statement, one commit for the whole file: the orders, what the bank books and
        # what it will say, all or nothing; an order it has seen (same instruction id) adds
        # nothing and gets its first answer.
        rows = await self.pool.fetch(
            _SUBMIT, *columns(payments, 8), *columns(bookings, 7), *columns(notices, 6)
        )
        stored = {row["instruction_id"]: row["outcome"] for row in rows}
        for instruction_id in [i for i, outcome in stored.items() if outcome is None]:
            # a concurrent duplicate committed after the statement began
            stored[instruction_id] = await self.pool.fetchval(
                "SELECT outcome FROM bank_sim.payments WHERE instruction_id = $1", instruction_id
            )
        return {o.instruction_id: _answer(o, stored[o.instruction_id]) for o in unique}

    async def check_account(self, account: BankAccount) -> AccountCheckResult:
        """The bank looks the account up in its books (here: its number's ending decides,
        see behaviours.py); nothing is booked or said later."""
        return account_check_of(account.account_number)

    def _consequences(
        self, order: PaymentOrder, reference: str, behaviour: Behaviour, now: dt.datetime
    ) -> tuple[list[_Booking], list[tuple[dt.datetime, Notice]]]:
        """What the bank books on the issuer's account, and which notices it sends when."""
        settle_at = now + dt.timedelta(seconds=self._rail_delay(order))
        if behaviour == "settles_late":
            settle_at = now + dt.timedelta(seconds=self._settings.settlement_bank_late_delay_s)
        bookings: list[_Booking] = []
        notices: list[tuple[dt.datetime, Notice]] = []
        if behaviour in {"settles", "settles_late", "returned", "timeout_executed"}:
            bookings.append(_Booking(reference, "debit", "payment", settle_at))
        if behaviour in {"settles", "settles_late", "returned"}:
            settled = PayoutSettledNotice(
                bank_reference=reference,
                end_to_end_id=order.instruction_id,
                amount=order.amount,
                settled_at=settle_at,
            )
            notices.append((settle_at, settled))
        if behaviour == "returned":
            return_at = settle_at + dt.timedelta(
                seconds=self._settings.settlement_bank_return_delay_s
            )
            return_reference = f"RTN-{reference}"[:35]
            bookings.append(_Booking(return_reference, "credit", "return", return_at))
            returned = PayoutReturnedNotice(
                bank_reference=return_reference,
                original_bank_reference=reference,
                end_to_end_id=order.instruction_id,
                amount=order.amount,
                reason="account_closed_after_credit",
                returned_at=return_at,
            )
            notices.append((return_at, returned))
        if behaviour == "beneficiary_rejects":
            rejected = PayoutRejectedNotice(
                bank_reference=reference,
                end_to_end_id=order.instruction_id,
                reason="beneficiary_bank_rejected",
                detail="the beneficiary's bank refused the credit",
                rejected_at=settle_at,
            )
            notices.append((settle_at, rejected))
        return bookings, notices

    def _rail_delay(self, order: PaymentOrder) -> float:
        delay = self._settings.settlement_bank_settle_delay_s
        return {"FPS": 0.0, "SWIFT": 2 * delay}.get(order.rail, delay)

    # --- the bank talking back -----------------------------------------------------------

    async def run(self, service: Service) -> None:
        """Background task: deliver due notices, and send a statement every interval."""
        await self.open()
        interval = self._settings.settlement_bank_statement_interval_s
        next_statement = asyncio.get_running_loop().time() + interval
        bank = self._settings.kafka_logins.of(self._settings.settlement_bank_principal)
        producer = AIOKafkaProducer(
            **bank.producer_options(), client_id="bank-simulator", enable_idempotence=True
        )
        await producer.start()
        try:
            while True:
                try:
                    await self.deliver_due(producer)
                    if asyncio.get_running_loop().time() >= next_statement:
                        await self.send_statement()
                        next_statement += interval
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the bank keeps running; the next tick retries
                    log.warning("bank simulator tick failed", error=describe(exc))
                await asyncio.sleep(self._settings.settlement_bank_poll_interval_s)
        finally:
            await producer.stop()
            await self.close()

    async def deliver_due(self, producer: AIOKafkaProducer) -> int:
        """Publish the messages that are due, in order, and mark them once acknowledged
        (the row locks keep a second delivery loop off them meanwhile)."""
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
            deliveries = []
            for row in rows:
                payload = MESSAGE_TYPES[row["type"]].model_validate_json(row["body"])
                env = envelope(
                    payload,
                    producer=PRODUCER,
                    correlation_id=row["message_id"],
                    message_id=row["message_id"],
                )
                deliveries.append(
                    await producer.send(
                        self._settings.topic(NOTIFICATIONS),
                        env.to_bytes(),
                        key=row["bank_reference"].encode(),
                        headers=record_headers(env),
                    )
                )
            await asyncio.wait_for(asyncio.gather(*deliveries), _SEND_TIMEOUT_S)
            await connection.execute(
                "UPDATE bank_sim.messages SET delivered_at = clock_timestamp() "
                "WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
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
                await self._say(
                    connection, self._settings.settlement_bank_account, statement, message_id, end
                )
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
        return statement_id

    @staticmethod
    async def _say(
        connection: Connection,
        key: str,
        payload: Message,
        message_id: uuid.UUID,
        due_at: dt.datetime,
    ) -> None:
        """Queue a message for delivery (the key goes where a notice's bank reference does)."""
        await connection.execute(
            "INSERT INTO bank_sim.messages (message_id, bank_reference, type, body, due_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            message_id,
            key,
            payload.TYPE,
            payload.model_dump_json(),
            due_at,
        )


_STATEMENTS = uuid.UUID("5b1f0e52-7c1a-4f0b-9f7e-0d3c2b1a4e5f")


def bank_reference(rail: str, instruction_id: uuid.UUID) -> str:
    return f"{rail}-{instruction_id.hex[:20].upper()}"


def _outcome(behaviour: Behaviour) -> str:
    if behaviour in {"invalid_account", "closed_account"}:
        return behaviour
    if behaviour in {"timeout_executed", "timeout_lost"}:
        return "no_answer"
    return "accepted"


Notice = PayoutSettledNotice | PayoutRejectedNotice | PayoutReturnedNotice


@dataclass(frozen=True, slots=True)
class _Booking:
    reference: str
    direction: str
    what: str
    at: dt.datetime


def _clock() -> dt.datetime:
    """The bank's clock (the host's, as PostgreSQL's clock_timestamp() that delivers)."""
    return dt.datetime.now(dt.UTC)


def _notice_key(notice: Notice) -> str:
    # keyed by the payment's own reference (a return names the payment it returns), so the
    # notices of one payment stay in order on one partition
    if isinstance(notice, PayoutReturnedNotice):
        return notice.original_bank_reference
    return notice.bank_reference


_SUBMIT = """
WITH ordered AS (
    INSERT INTO bank_sim.payments (instruction_id, bank_reference, behaviour, rail,
                                   amount_minor, currency, beneficiary_digest, outcome)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                         $6::text[], $7::text[], $8::text[])
    ON CONFLICT (instruction_id) DO NOTHING
    RETURNING instruction_id, outcome
), booked AS (
    INSERT INTO bank_sim.bookings (end_to_end_id, bank_reference, direction, amount_minor,
                                   currency, description, booked_at)
    SELECT * FROM unnest($9::uuid[], $10::text[], $11::text[], $12::bigint[], $13::text[],
                         $14::text[], $15::timestamptz[]) AS b (instruction_id)
     WHERE b.instruction_id IN (SELECT instruction_id FROM ordered)
), scheduled AS (
    INSERT INTO bank_sim.messages (message_id, bank_reference, type, body, due_at)
    SELECT m.message_id, m.reference, m.type, m.body, m.due_at
      FROM unnest($16::uuid[], $17::uuid[], $18::text[], $19::text[], $20::jsonb[],
                  $21::timestamptz[])
           AS m (instruction_id, message_id, reference, type, body, due_at)
     WHERE m.instruction_id IN (SELECT instruction_id FROM ordered)
)
SELECT o.instruction_id, coalesce(n.outcome, p.outcome) AS outcome
  FROM unnest($1::uuid[]) AS o (instruction_id)
  LEFT JOIN ordered n USING (instruction_id)
  LEFT JOIN bank_sim.payments p USING (instruction_id)
"""


def _instruction(order: PaymentOrder) -> uuid.UUID:
    return order.instruction_id


def _answer(order: PaymentOrder, stored: str) -> SubmitResult:
    """The same order always gets the same answer (the bank dedupes by instruction id)."""
    if stored == "accepted":
        return Accepted(bank_reference(order.rail, order.instruction_id))
    if stored == "no_answer":
        return NoAnswer(f"{order.rail}: no answer from the bank within the deadline")
    reason: PayoutRejectReason = (
        "invalid_account" if stored == "invalid_account" else "closed_account"
    )
    return Refused(reason, f"{order.rail}: beneficiary account refused ({reason})")
