"""Personal data: sealed at rest (services.kyc.crypto), opened only in memory to screen.

What is sealed is the application as received; the customer id is the associated data,
so a ciphertext only opens on its own row.
"""

from __future__ import annotations

import uuid

from schemas.kyc import CorporateApplication, IndividualApplication
from schemas.settlement import BankAccount
from services.kyc.crypto import KeyRing, Sealed
from services.kyc.domain.screening import Subject

Application = IndividualApplication | CorporateApplication


def kind_of(application: Application) -> str:
    return "individual" if isinstance(application, IndividualApplication) else "corporate"


def seal(keyring: KeyRing, application: Application) -> Sealed:
    return keyring.seal(application.model_dump_json().encode(), application.customer_id.bytes)


def unseal(
    keyring: KeyRing, customer_id: uuid.UUID, kind: str, key_id: str, blob: bytes
) -> Application:
    plaintext = keyring.open(Sealed(key_id, blob), customer_id.bytes)
    model = IndividualApplication if kind == "individual" else CorporateApplication
    return model.model_validate_json(plaintext)


def subject_of(application: Application) -> Subject:
    if isinstance(application, IndividualApplication):
        return Subject(
            kind="individual",
            names=(application.full_name, *application.aliases),
            birth_date=application.date_of_birth,
            nationality=application.nationality,
        )
    return Subject(
        kind="entity",
        names=(application.legal_name, *application.trading_names),
        nationality=application.country_of_incorporation,
    )


def account_holder_names(application: Application) -> tuple[str, ...]:
    """The names a first-party account may be held under: a person's full name (not an
    alias: a bank account is opened under the name on the identity document); a company's
    legal name or one of its trading names."""
    if isinstance(application, IndividualApplication):
        return (application.full_name,)
    return (application.legal_name, *application.trading_names)


def seal_account(
    keyring: KeyRing, customer_id: uuid.UUID, account_id: uuid.UUID, account: BankAccount
) -> Sealed:
    return keyring.seal(account.model_dump_json().encode(), _account_row(customer_id, account_id))


def open_account(
    keyring: KeyRing, customer_id: uuid.UUID, account_id: uuid.UUID, key_id: str, blob: bytes
) -> BankAccount:
    plaintext = keyring.open(Sealed(key_id, blob), _account_row(customer_id, account_id))
    return BankAccount.model_validate_json(plaintext)


def _account_row(customer_id: uuid.UUID, account_id: uuid.UUID) -> bytes:
    # bound to the account and its customer: a ciphertext moved to another row does not open
    return b"bank_account:" + account_id.bytes + customer_id.bytes
