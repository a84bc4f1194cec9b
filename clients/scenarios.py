"""The business journeys, end to end through the real services: onboard a holder, fund
their wallet with a bank deposit, redeem tokens for a payout. Each step waits for the facts
the services publish, so a journey reads like what the customer lives through."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field

from clients.outside import Outside
from clients.wallet import Wallet, deadline_in
from clients.watcher import Watcher
from schemas import Message
from schemas.issuance import Minted
from schemas.kyc import (
    BankAccountRefused,
    BankAccountVerified,
    CustomerFrozen,
    CustomerReferred,
    CustomerRejected,
    CustomerVerified,
    DueDiligence,
    IdentityDocument,
    IndividualParticulars,
    PostalAddress,
    WalletRegistered,
    sealed_application,
)
from schemas.money import Money, par_cnh
from schemas.redemption import (
    QuoteRedemption,
    Redeem,
    RedemptionCompleted,
    RedemptionFailed,
    RedemptionNeedsReview,
    RedemptionQuoted,
)
from schemas.settlement import BankAccount, DepositConfirmed, DepositSuspended

OUTCOMES = (RedemptionCompleted, RedemptionFailed, RedemptionNeedsReview)


@dataclass
class Holder:
    name: str
    customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    wallet_id: uuid.UUID = field(default_factory=uuid.uuid4)
    wallet: Wallet = field(default_factory=Wallet)
    """The holder's own key, generated for this run."""
    decision: str = ""
    """verified / rejected / referred / frozen: what KYC decided."""
    deposit_reference: str = ""
    account_id: uuid.UUID = field(default_factory=uuid.uuid4)
    """The holder's own bank account, registered at onboarding: where payouts go."""
    account_decision: str = ""
    """"verified", or why KYC refused the account (BankAccountRefused's reason)."""

    @property
    def bank_account(self) -> BankAccount:
        return BankAccount(
            holder_name=self.name,
            account_number=f"{self.customer_id.int % 10**9:09d}",
            bank_code="004",
            country="HK",
        )

    def quote_request(
        self, redemption_id: uuid.UUID, tokens: Money, currency: str
    ) -> QuoteRedemption:
        """The firm quote a wallet asks for before the holder commits to a redemption."""
        return QuoteRedemption(
            redemption_id=redemption_id,
            customer_id=self.customer_id,
            wallet_id=self.wallet_id,
            amount=tokens,
            payout_currency=currency,
        )

    def redeem_request(
        self,
        redemption_id: uuid.UUID,
        tokens: Money,
        currency: str,
        quote_id: uuid.UUID | None,
        *,
        beneficiary_account_id: uuid.UUID | None = None,
        deadline: int | None = None,
    ) -> Redeem:
        """A redemption request as the holder's wallet signs it (EIP-712), paid to their own
        account unless `beneficiary_account_id` names another."""
        deadline = deadline_in() if deadline is None else deadline
        account_id = beneficiary_account_id or self.account_id
        return Redeem(
            redemption_id=redemption_id,
            customer_id=self.customer_id,
            wallet_id=self.wallet_id,
            amount=tokens,
            payout_currency=currency,
            quote_id=quote_id,
            beneficiary_account_id=account_id,
            deadline=deadline,
            signature=self.wallet.approve(
                redemption_id=redemption_id,
                amount=tokens.amount_minor,
                payout_currency=currency,
                beneficiary_account_id=account_id,
                quote_id=quote_id,
                deadline=deadline,
            ),
        )


@dataclass
class Person:
    """What an onboarding producer collected about a natural person."""

    name: str
    date_of_birth: dt.date
    nationality: str
    document_number: str
    due_diligence: DueDiligence = "standard"
    aliases: tuple[str, ...] = ()
    street: str = "1 Harbour Road"


async def onboard(
    outside: Outside, watcher: Watcher, person: Person, timeout_s: float = 60.0
) -> Holder:
    """Apply, register a wallet with proof of control and a bank account in the holder's
    own name; returns the holder with KYC's decisions (and, when verified, the deposit
    reference that funds the wallet, and whether the account was verified)."""
    holder = Holder(person.name)
    await outside.apply(
        sealed_application(
            outside.sealing_key("kyc"),
            holder.customer_id,
            person.due_diligence,
            IndividualParticulars(
                full_name=person.name,
                aliases=person.aliases,
                date_of_birth=person.date_of_birth,
                nationality=person.nationality,
                id_document=IdentityDocument(
                    kind="passport",
                    number=person.document_number,
                    issuing_country=person.nationality,
                ),
                address=PostalAddress(lines=(person.street,), city="Hong Kong", country="HK"),
            ),
        )
    )
    await outside.register_wallet(holder.customer_id, holder.wallet_id, holder.wallet)
    # after the application on the same key: KYC has decided the customer by then
    await outside.register_bank_account(holder.customer_id, holder.account_id, holder.bank_account)
    await outside.flush()
    decisions: tuple[type[Message], ...] = (
        CustomerVerified,
        CustomerRejected,
        CustomerReferred,
        CustomerFrozen,
    )
    decided = await watcher.wait_any(
        decisions, lambda e: e.customer_id == holder.customer_id, timeout_s=timeout_s
    )
    holder.decision = {
        CustomerVerified: "verified",
        CustomerRejected: "rejected",
        CustomerReferred: "referred",
        CustomerFrozen: "frozen",
    }[type(decided)]
    if holder.decision == "verified":
        registered = await watcher.wait_for(
            WalletRegistered,
            lambda e: e.wallet_id == holder.wallet_id and e.proof_of_control == "verified",
            timeout_s=timeout_s,
        )
        holder.deposit_reference = registered[0].deposit_reference
    holder.account_decision = _account_decision(
        await account_decided(watcher, holder.account_id, timeout_s)
    )
    return holder


async def register_account(
    outside: Outside,
    watcher: Watcher,
    holder: Holder,
    account: BankAccount,
    account_id: uuid.UUID | None = None,
    timeout_s: float = 60.0,
) -> tuple[uuid.UUID, str]:
    """Register another bank account for the holder; returns its id and KYC's decision
    ("verified" or the refusal's reason)."""
    account_id = account_id or uuid.uuid4()
    await outside.register_bank_account(holder.customer_id, account_id, account)
    await outside.flush()
    return account_id, _account_decision(await account_decided(watcher, account_id, timeout_s))


async def account_decided(
    watcher: Watcher, account_id: uuid.UUID, timeout_s: float = 60.0
) -> BankAccountVerified | BankAccountRefused:
    decided = await watcher.wait_any(
        (BankAccountVerified, BankAccountRefused),
        lambda e: e.account_id == account_id,
        timeout_s=timeout_s,
    )
    assert isinstance(decided, (BankAccountVerified, BankAccountRefused))
    return decided


def _account_decision(decided: BankAccountVerified | BankAccountRefused) -> str:
    return "verified" if isinstance(decided, BankAccountVerified) else decided.reason


async def fund(
    outside: Outside,
    watcher: Watcher,
    holder: Holder,
    cnh: Money,
    timeout_s: float = 60.0,
    suspense_grace_s: float = 15.0,
    *,
    payer: BankAccount | None = None,
    remittance: str = "",
) -> Minted | DepositSuspended:
    """The holder wires CNH to the reserve account; settlement asks issuance to mint.

    A suspension may be temporary (the deposit overtook its wallet's registration, or
    issuance had not caught up with KYC: settlement retries by itself), so a suspended
    deposit gets `suspense_grace_s` to be confirmed before it counts as suspended.
    `payer` (default: the holder's own account) and `remittance` (words the payer adds to
    the reference) travel sealed to settlement."""
    bank_reference = await outside.deposit(
        f"Top-up {holder.deposit_reference} {remittance}".rstrip(),
        cnh,
        payer or holder.bank_account,
    )
    await outside.flush()
    outcome = await watcher.wait_any(
        (DepositConfirmed, DepositSuspended),
        lambda e: e.bank_reference == bank_reference,
        timeout_s=timeout_s,
    )
    if isinstance(outcome, DepositSuspended):
        suspended = outcome
        try:
            outcome = (
                await watcher.wait_for(
                    DepositConfirmed,
                    lambda e: e.bank_reference == bank_reference,
                    timeout_s=suspense_grace_s,
                )
            )[0]
        except TimeoutError:
            return suspended
    assert isinstance(outcome, DepositConfirmed)
    confirmed = outcome
    minted = await watcher.wait_for(
        Minted, lambda e: e.deposit_id == confirmed.deposit_id, timeout_s=timeout_s
    )
    return minted[0]


@dataclass
class Redemption:
    redemption_id: uuid.UUID
    tokens: Money
    currency: str
    quote: RedemptionQuoted | None = None
    outcome: Message | None = None


async def redeem(
    outside: Outside,
    watcher: Watcher,
    holder: Holder,
    tokens: Money,
    currency: str,
    *,
    beneficiary_account_id: uuid.UUID | None = None,
    redemption_id: uuid.UUID | None = None,
    timeout_s: float = 60.0,
    wait: bool = True,
    quote_delay_s: float = 0.0,
) -> Redemption:
    """Quote (unless paid in CNH), then redeem to the holder's own account (or
    `beneficiary_account_id`); waits for the outcome when `wait`. `quote_delay_s`: how long
    the customer ponders the quote before committing."""
    redemption = Redemption(redemption_id or uuid.uuid4(), tokens, currency)
    rid = redemption.redemption_id
    quote_id = None
    if currency != par_cnh(tokens).currency:
        await outside.quote(holder.quote_request(rid, tokens, currency))
        await outside.flush()
        answer = await watcher.wait_any(
            (RedemptionQuoted, RedemptionFailed),
            lambda e: e.redemption_id == rid,
            timeout_s=timeout_s,
        )
        if isinstance(answer, RedemptionFailed):
            redemption.outcome = answer
            return redemption
        assert isinstance(answer, RedemptionQuoted)
        redemption.quote, quote_id = answer, answer.quote_id
        await asyncio.sleep(quote_delay_s)
    await outside.redeem(
        holder.redeem_request(
            rid, tokens, currency, quote_id, beneficiary_account_id=beneficiary_account_id
        )
    )
    await outside.flush()
    if wait:
        redemption.outcome = await outcome_of(watcher, rid, timeout_s)
    return redemption


async def outcome_of(
    watcher: Watcher, redemption_id: uuid.UUID, timeout_s: float = 60.0
) -> Message:
    return await watcher.wait_any(
        OUTCOMES, lambda e: e.redemption_id == redemption_id, timeout_s=timeout_s
    )
