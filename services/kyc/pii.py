"""Personal data: opened from the application in memory only, to screen and decide; kept
at rest encrypted under KYC's key ring (services.kyc.crypto).

An application's particulars arrive sealed to KYC's public key (schemas/sealed.py); a
value that does not open raises SealError, which the runtime dead-letters with its reason
(never the value). At rest the particulars are encrypted with the ring's active key; the
customer id is the associated data, so a ciphertext only opens on its own row.
"""

from __future__ import annotations

import json
import uuid

from schemas.kyc import (
    PARTICULARS_OF,
    Application,
    CorporateParticulars,
    IndividualParticulars,
    Particulars,
    sealing_context,
)
from schemas.sealed import OpeningKeys
from schemas.settlement import BankAccount
from services.kyc.crypto import KeyRing, Sealed
from services.kyc.domain import records
from services.kyc.domain.screening import Subject

# Rows written before the particulars were sealed on the wire hold the whole application
# (version 1): these fields are not particulars, and are dropped when such a row is read.
_APPLICATION_FIELDS = ("customer_id", "due_diligence")


def open_particulars(keys: OpeningKeys, application: Application) -> Particulars:
    """The application's particulars, in memory (SealError if they do not open)."""
    model = PARTICULARS_OF[type(application)]
    context = sealing_context(type(application), application.customer_id)
    return keys.open(application.particulars, model, context)


def kind_of(particulars: Particulars) -> records.Kind:
    return "individual" if isinstance(particulars, IndividualParticulars) else "corporate"


def seal(keyring: KeyRing, customer_id: uuid.UUID, particulars: Particulars) -> Sealed:
    return keyring.seal(particulars.model_dump_json().encode(), customer_id.bytes)


def unseal(
    keyring: KeyRing, customer_id: uuid.UUID, kind: str, key_id: str, blob: bytes
) -> Particulars:
    plaintext = keyring.open(Sealed(key_id, blob), customer_id.bytes)
    document = json.loads(plaintext)
    for name in _APPLICATION_FIELDS:
        document.pop(name, None)
    model = IndividualParticulars if kind == "individual" else CorporateParticulars
    return model.model_validate_json(json.dumps(document))


def particulars_of(keyring: KeyRing, customer: records.Customer) -> Particulars:
    """A customer's particulars, opened in memory from their row."""
    sealed = customer.particulars
    return unseal(keyring, customer.customer_id, customer.kind, sealed.key_id, sealed.blob)


def subject_of(particulars: Particulars) -> Subject:
    if isinstance(particulars, IndividualParticulars):
        return Subject(
            kind="individual",
            names=(particulars.full_name, *particulars.aliases),
            birth_date=particulars.date_of_birth,
            nationality=particulars.nationality,
        )
    return Subject(
        kind="entity",
        names=(particulars.legal_name, *particulars.trading_names),
        nationality=particulars.country_of_incorporation,
    )


def account_holder_names(particulars: Particulars) -> tuple[str, ...]:
    """The names a first-party account may be held under: a person's full name (not an
    alias: a bank account is opened under the name on the identity document); a company's
    legal name or one of its trading names."""
    if isinstance(particulars, IndividualParticulars):
        return (particulars.full_name,)
    return (particulars.legal_name, *particulars.trading_names)


def seal_account(
    keyring: KeyRing, customer_id: uuid.UUID, account_id: uuid.UUID, account: BankAccount
) -> Sealed:
    return keyring.seal(account.model_dump_json().encode(), _account_row(customer_id, account_id))


def open_account(
    keyring: KeyRing, customer_id: uuid.UUID, account_id: uuid.UUID, key_id: str, blob: bytes
) -> BankAccount:
    plaintext = keyring.open(Sealed(key_id, blob), _account_row(customer_id, account_id))
    return BankAccount.model_validate_json(plaintext)


def details_of(keyring: KeyRing, account: records.BankAccount) -> BankAccount:
    """An account's holder, number and bank, opened in memory from its row."""
    sealed = account.details
    return open_account(
        keyring, account.customer_id, account.account_id, sealed.key_id, sealed.blob
    )


def _account_row(customer_id: uuid.UUID, account_id: uuid.UUID) -> bytes:
    # bound to the account and its customer: a ciphertext moved to another row does not open
    return b"bank_account:" + account_id.bytes + customer_id.bytes
