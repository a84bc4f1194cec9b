"""What wallets sign is a contract: the EIP-712 encoding of a redemption request, computed
here by hand from the EIP-712 rules (independently of eth-account's encoder), and the EVM
types of the messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from eth_utils.crypto import keccak
from pydantic import ValidationError

from clients.wallet import Wallet
from schemas.kyc import RegisterWallet, WalletRegistered
from schemas.signing import redemption_message, redemption_typed_data, wallet_challenge

ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55's own example address
REDEMPTION = (
    "Redemption(string redemptionId,address wallet,uint256 amount,string payoutCurrency,"
    "string beneficiaryAccountId,string quoteId,uint256 deadline)"
)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _text(value: str) -> bytes:
    return keccak(text=value)


@pytest.mark.parametrize("quote_id", [uuid.UUID(int=3), None])
def test_a_redemption_request_is_encoded_as_eip712_says(quote_id: uuid.UUID | None) -> None:
    rid, account = uuid.UUID(int=1), uuid.UUID(int=2)
    terms = redemption_typed_data(
        redemption_id=rid,
        wallet=ADDRESS,
        amount=1_000_000,
        payout_currency="USD",
        beneficiary_account_id=account,
        quote_id=quote_id,
        deadline=1_800_000_000,
        chain_id=31337,
    )
    domain = keccak(
        _text("EIP712Domain(string name,string version,uint256 chainId)")
        + _text("CNH Stablecoin")
        + _text("1")
        + _word(31337)
    )
    struct = keccak(
        _text(REDEMPTION)
        + _text(str(rid))
        + bytes(12) + bytes.fromhex(ADDRESS[2:])
        + _word(1_000_000)
        + _text("USD")
        + _text(str(account))
        + _text("" if quote_id is None else str(quote_id))
        + _word(1_800_000_000)
    )  # fmt: skip
    message = redemption_message(terms)
    assert (message.version, message.header, message.body) == (b"\x01", domain, struct)
    assert str(rid) == "00000000-0000-0000-0000-000000000001", "lower-case canonical uuids"


def test_the_challenge_names_customer_wallet_and_address() -> None:
    customer, wallet = uuid.uuid4(), uuid.uuid4()
    text = wallet_challenge(customer, wallet, ADDRESS)
    assert all(str(part) in text for part in (customer, wallet, ADDRESS))


def test_a_registered_wallet_is_an_eip55_address() -> None:
    address = Wallet().address
    fact: dict[str, Any] = {
        "customer_id": uuid.uuid4(),
        "wallet_id": uuid.uuid4(),
        "deposit_reference": "CNH-ABCDEFGH12",
        "proof_of_control": "verified",
    }
    assert WalletRegistered(**fact, address=address).address == address
    for wrong in (address.lower(), address[:-1], "0x" + "g" * 40):
        with pytest.raises(ValidationError):
            WalletRegistered(**fact, address=wrong)


def test_a_signature_has_one_spelling() -> None:
    signature = "0x" + "AB" * 65
    registration = RegisterWallet(
        customer_id=uuid.uuid4(), wallet_id=uuid.uuid4(), address=ADDRESS, signature=signature
    )
    assert registration.signature == signature.lower()
    for wrong in ("0x" + "ab" * 64, "ab" * 65, "0x" + "zz" * 65):
        with pytest.raises(ValidationError):
            RegisterWallet(
                customer_id=uuid.uuid4(), wallet_id=uuid.uuid4(), address=ADDRESS, signature=wrong
            )
