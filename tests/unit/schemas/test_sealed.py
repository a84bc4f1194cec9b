"""Sealed personal data: only its recipient opens it, only in the record it was sealed for."""

from __future__ import annotations

import pytest

from schemas import sealed
from schemas.sealed import OpeningKeys, Sealed, SealError, SealingKey
from schemas.settlement import BankAccount

ACCOUNT = BankAccount(
    holder_name="Chan Tai Man", account_number="123-456789-001", bank_code="004", country="HK"
)
CONTEXT = "kyc.register_bank_account:5f0c"


@pytest.fixture(scope="module")
def kyc() -> OpeningKeys:
    return sealed.generate("kyc")


def test_the_recipient_opens_what_was_sealed_to_it(kyc: OpeningKeys) -> None:
    box = kyc.current.seal(ACCOUNT, CONTEXT)
    assert kyc.open(box, BankAccount, CONTEXT) == ACCOUNT


def test_the_sealed_form_does_not_contain_the_value(kyc: OpeningKeys) -> None:
    wire = kyc.current.seal(ACCOUNT, CONTEXT).model_dump_json()
    for value in ("Chan", "Tai", "123-456789-001", "456789"):
        assert value not in wire


def test_another_services_key_does_not_open_it(kyc: OpeningKeys) -> None:
    box = kyc.current.seal(ACCOUNT, CONTEXT)
    settlement = sealed.generate("settlement")
    with pytest.raises(SealError) as refused:
        settlement.open(box, BankAccount, CONTEXT)
    assert refused.value.reason == "wrong_recipient"
    impostor = sealed.generate("kyc")  # kyc's name, not kyc's key
    with pytest.raises(SealError) as unknown:
        impostor.open(box, BankAccount, CONTEXT)
    assert unknown.value.reason == "unknown_key"


def test_a_value_moved_to_another_record_does_not_open(kyc: OpeningKeys) -> None:
    box = kyc.current.seal(ACCOUNT, CONTEXT)
    with pytest.raises(SealError) as refused:
        kyc.open(box, BankAccount, "kyc.register_bank_account:another")
    assert refused.value.reason == "tampered"


def test_an_altered_box_does_not_open(kyc: OpeningKeys) -> None:
    box = kyc.current.seal(ACCOUNT, CONTEXT)
    flipped = box.box[:10] + ("A" if box.box[10] != "A" else "B") + box.box[11:]
    with pytest.raises(SealError) as refused:
        kyc.open(box.model_copy(update={"box": flipped}), BankAccount, CONTEXT)
    assert refused.value.reason == "tampered"


def test_content_that_is_not_the_expected_value_is_refused_without_echo(
    kyc: OpeningKeys,
) -> None:
    box = kyc.current.seal(ACCOUNT, CONTEXT)
    with pytest.raises(SealError) as refused:
        kyc.open(box, Sealed, CONTEXT)
    assert refused.value.reason == "invalid_content"
    assert "Chan" not in str(refused.value)


def test_after_a_rotation_older_values_still_open_and_new_ones_use_the_new_key(
    kyc: OpeningKeys,
) -> None:
    old = kyc.current.seal(ACCOUNT, CONTEXT)
    rotated = kyc.rotated()
    new = rotated.current.seal(ACCOUNT, CONTEXT)
    assert new.key_id != old.key_id
    assert rotated.open(old, BankAccount, CONTEXT) == ACCOUNT
    assert rotated.open(new, BankAccount, CONTEXT) == ACCOUNT


def test_keys_survive_their_text_form(kyc: OpeningKeys) -> None:
    reread = OpeningKeys.from_text("kyc", kyc.rotated().to_text())
    assert reread.open(kyc.current.seal(ACCOUNT, CONTEXT), BankAccount, CONTEXT) == ACCOUNT
    public = SealingKey.from_text("kyc", reread.current.to_text())
    assert public.key_id == reread.current.key_id


def test_particulars_with_dates_and_tuples_open_under_strict_validation() -> None:
    import uuid

    from schemas.kyc import (
        IndividualApplication,
        IndividualParticulars,
        sealed_application,
        sealing_context,
    )

    keys = sealed.generate("kyc")
    particulars = IndividualParticulars.model_validate_json(
        '{"full_name": "Chan Tai Man", "aliases": ["Ah Man"], "date_of_birth": "1980-01-02",'
        ' "nationality": "HK", "id_document": {"kind": "passport", "number": "K123",'
        ' "issuing_country": "HK"}, "address": {"lines": ["1 Road"], "city": "Hong Kong",'
        ' "country": "HK"}}'
    )
    customer = uuid.uuid4()
    application = sealed_application(keys.current, customer, "standard", particulars)
    assert isinstance(application, IndividualApplication)
    assert "Chan" not in application.model_dump_json()
    context = sealing_context(IndividualApplication, customer)
    assert keys.open(application.particulars, IndividualParticulars, context) == particulars
    with pytest.raises(SealError) as caught:  # copied onto another customer's application
        keys.open(application.particulars, IndividualParticulars, context + "x")
    assert caught.value.reason == "tampered"
