"""RegisterBankAccount, BankAccountChecked (and settlement's Rejected of a check): a
beneficiary account, first-party only, checked by the bank through settlement."""

from __future__ import annotations

import uuid

from schemas import Rejected
from schemas.ids import derive_id
from schemas.kyc import (
    BankAccountRefusal,
    BankAccountRefused,
    BankAccountVerified,
    RegisterBankAccount,
)
from schemas.kyc import bank_account_context as registered_context
from schemas.message import Message
from schemas.sealed import SealError
from schemas.settlement import (
    AccountCheckResult,
    BankAccountChecked,
    CheckBankAccount,
    account_check_context,
)
from schemas.settlement import BankAccount as AccountDetails
from services.kyc import pii
from services.kyc.domain import accounts
from services.kyc.domain.records import BankAccount, Customer, HistoryEntry
from services.kyc.use_cases.onboarding import EVENTS
from services.kyc.use_cases.work import KycWork
from services.runtime.logging import get_logger
from services.runtime.retry import TransientError

log = get_logger(__name__)

ACCOUNT_CHECKS = "settlement.account-checks"
REPLIES = "kyc.replies"


async def register_bank_account(work: KycWork, command: RegisterBankAccount) -> None:
    """First party only: the holder name must be the customer's KYC name; then the bank
    is asked (through settlement) whether it holds the account, open, under that name."""
    customer_id, account_id = command.customer_id, command.account_id
    terms = work.terms
    try:
        details = terms.opening.open(
            command.account, AccountDetails, registered_context(customer_id, account_id)
        )
    except SealError as exc:
        return await _refuse(
            work, customer_id, account_id, "unreadable", f"unreadable_{exc.reason}"
        )
    customer = await work.customers.of(customer_id, lock=True)
    existing = await work.accounts.of(account_id, lock=True)
    known = None if existing is None else _registered(work, existing, customer_id, details)
    names = _holder_names(work, customer) if customer is not None and known is None else ()
    decision = accounts.decide_registration(
        customer.status if customer else None, details.holder_name, names, known
    )
    if decision == "unchanged":
        log.info("bank account registration repeated", account_id=str(account_id))
        return None
    sealed = pii.seal_account(terms.keyring, customer_id, account_id, details)
    if decision == "name_mismatch":
        # kept, so the account id is never decided again with other details
        refused = BankAccount(account_id, customer_id, "refused", sealed)
        await work.accounts.insert(refused, decision, work.message_id)
    if decision != "check":
        return await _refuse(work, customer_id, account_id, decision)
    checking = BankAccount(account_id, customer_id, "checking", sealed)
    if not await work.accounts.insert(checking, None, work.message_id):
        raise TransientError("a concurrent registration of this account id")
    await _history(work, "bank_account_checking", customer_id, account_id, "holder_is_customer")
    work.publish(
        ACCOUNT_CHECKS,
        str(account_id),
        CheckBankAccount(
            account_id=account_id,
            customer_id=customer_id,
            account=terms.settlement_key().seal(
                details, account_check_context(customer_id, account_id)
            ),
        ),
        reply_to=REPLIES,
        message_id=derive_id(account_id, "kyc", "check_bank_account"),
        # settlement's Rejected of the check names the account only by this correlation
        correlation_id=account_id,
    )
    log.info("bank account sent to the bank's check", account_id=str(account_id))
    return None


async def bank_account_checked(work: KycWork, reply: BankAccountChecked) -> None:
    await _bank_answered(work, reply.account_id, reply.result)


async def account_check_rejected(work: KycWork, reply: Rejected) -> None:
    """Settlement could not read our CheckBankAccount: its correlation id is the account."""
    await _bank_answered(work, work.correlation_id, None)


async def _bank_answered(
    work: KycWork, account_id: uuid.UUID, result: AccountCheckResult | None
) -> None:
    account = await work.accounts.of(account_id, lock=True)
    if account is None:
        log.warning(
            "a bank check answer for an account never registered", account_id=str(account_id)
        )
        return
    outcome = accounts.bank_answered(account.state, result)
    if outcome == "duplicate":
        return
    refusal = None if outcome == "verified" else outcome
    state: accounts.State = "refused" if refusal else "verified"
    await work.accounts.decide(account_id, state, refusal, result)
    await _history(
        work, f"bank_account_{state}", account.customer_id, account_id, f"bank_{result or 'unread'}"
    )
    _decided(work, account.customer_id, account_id, refusal)


async def _refuse(
    work: KycWork,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    reason: BankAccountRefusal,
    detail: str = "",
) -> None:
    await _history(work, "bank_account_refused", customer_id, account_id, detail or reason)
    _decided(work, customer_id, account_id, reason)


def _registered(
    work: KycWork, existing: BankAccount, customer_id: uuid.UUID, details: AccountDetails
) -> accounts.Registered:
    on_file = pii.details_of(work.terms.keyring, existing)
    return accounts.Registered(
        existing.customer_id == customer_id, on_file == details, existing.state
    )


def _holder_names(work: KycWork, customer: Customer) -> tuple[str, ...]:
    """The customer's KYC names, opened in memory from the sealed application."""
    return pii.account_holder_names(pii.particulars_of(work.terms.keyring, customer))


def _decided(
    work: KycWork,
    customer_id: uuid.UUID,
    account_id: uuid.UUID,
    refusal: BankAccountRefusal | None,
) -> None:
    event: Message = (
        BankAccountVerified(customer_id=customer_id, account_id=account_id)
        if refusal is None
        else BankAccountRefused(customer_id=customer_id, account_id=account_id, reason=refusal)
    )
    work.publish(EVENTS, str(customer_id), event)
    log.info(
        "bank account decided",
        customer_id=str(customer_id),
        account_id=str(account_id),
        outcome=refusal or "verified",
    )


async def _history(
    work: KycWork, action: str, customer_id: uuid.UUID, account_id: uuid.UUID, reason: str
) -> None:
    await work.history.record(
        HistoryEntry(
            action, "onboarding", customer_id=customer_id, account_id=account_id,
            reason=reason, cause_id=work.message_id,
        )
    )  # fmt: skip
