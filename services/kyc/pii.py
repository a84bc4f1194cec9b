"""Personal data: sealed at rest (services.kyc.crypto), opened only in memory to screen.

What is sealed is the application as received; the customer id is the associated data,
so a ciphertext only opens on its own row.
"""

from __future__ import annotations

import uuid

from schemas.kyc import CorporateApplication, IndividualApplication
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
