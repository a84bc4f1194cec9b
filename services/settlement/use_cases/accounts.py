"""Beneficiary accounts: KYC's checks through the bank, the account kept on file, and KYC's
decision about it (domain/accounts.py).

- CheckBankAccount: the account (sealed to settlement) is opened in memory, the bank checks
  it, and it is filed sealed as it came, with the bank's answer: BankAccountChecked. A
  repeated check gets the first answer again.
- BankAccountVerified / BankAccountRefused (kyc.events): the account becomes payable, or
  never will be. A decision about an account of another customer is an anomaly.
- `payee`: the account a payout goes to, opened in memory, or why it may not be paid to.
"""

from __future__ import annotations

import uuid

from schemas import Rejected
from schemas.kyc import BankAccountRefused, BankAccountVerified
from schemas.sealed import OpeningKeys, SealError
from schemas.settlement import (
    BankAccount,
    BankAccountChecked,
    CheckBankAccount,
    account_check_context,
)
from services.runtime.logging import get_logger
from services.settlement.domain.accounts import KycDecision, NotPayable, decide, payable
from services.settlement.use_cases.work import Accounts, SettlementWork

log = get_logger(__name__)


async def check_bank_account(
    work: SettlementWork, command: CheckBankAccount
) -> BankAccountChecked | Rejected:
    context = account_check_context(command.customer_id, command.account_id)
    try:
        account = work.terms.keys.open(command.account, BankAccount, context)
    except SealError as exc:
        # it will never open: refused at once (KYC refuses the account), not retried
        return Rejected(reason="unreadable", detail=f"{exc.reason}: {exc.detail}")
    filed = await work.accounts.locked(command.account_id)
    if filed is None:
        result = await work.bank.check_account(account)
        filed = await work.accounts.keep(
            command.account_id, command.customer_id, command.account, result
        )
        work.history.record(
            "bank_account", command.account_id, None, "checked", work.actor, "bank_check", result
        )
    elif filed.customer_id != command.customer_id:
        await work.anomalies.record(
            "bank_account_conflict",
            str(command.account_id),
            "a check of an account on file for another customer",
        )
    return BankAccountChecked(
        account_id=filed.account_id,
        customer_id=filed.customer_id,
        result=filed.bank_result,  # type: ignore[arg-type]  # checked by the table
    )


async def bank_account_verified(work: SettlementWork, event: BankAccountVerified) -> None:
    await _kyc_decided(work, event.customer_id, event.account_id, "verified")


async def bank_account_refused(work: SettlementWork, event: BankAccountRefused) -> None:
    await _kyc_decided(work, event.customer_id, event.account_id, "refused", event.reason)


async def _kyc_decided(
    work: SettlementWork,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    decision: KycDecision,
    reason: str | None = None,
) -> None:
    filed = await work.accounts.locked(account_id)
    verdict = decide(filed.on_file if filed else None, customer_id, decision)
    if verdict == "conflict":
        if decision == "refused" and filed is None:
            return  # refused before any check (its name, its customer): nothing on file
        await work.anomalies.record(
            f"bank_account_{decision}_conflict",
            str(account_id),
            f"{decision} for customer {customer_id}: the account on file is "
            + (f"{filed.state}, of customer {filed.customer_id}" if filed else "absent"),
        )
        return
    if verdict == "apply":
        assert filed is not None
        await work.accounts.decided(account_id, decision, reason)
        work.history.record(
            "bank_account", account_id, filed.state, decision, work.actor, "kyc", reason or ""
        )


async def payee(
    accounts: Accounts, keys: OpeningKeys, customer_id: uuid.UUID, account_id: uuid.UUID
) -> BankAccount | NotPayable:
    """The verified account of `customer_id` on file under `account_id`, opened in memory
    only (the order to the bank needs its details; nothing else keeps them)."""
    filed = await accounts.get(account_id)
    refusal = payable(filed.on_file if filed else None, customer_id)
    if refusal is not None:
        return refusal
    assert filed is not None
    context = account_check_context(filed.customer_id, filed.account_id)
    try:
        return keys.open(filed.sealed, BankAccount, context)
    except SealError as exc:
        # a key retired too early, or a row altered: never paid to
        log.error(
            "a bank account on file does not open", account_id=str(account_id), reason=exc.reason
        )
        return NotPayable("beneficiary_not_verified", "the account on file does not open")
