"""What a wallet's key signs: contracts between a holder's wallet software and the platform,
as much as the messages are. A change here invalidates every signature made before it, so
it is versioned like a message (the EIP-712 domain's `version`, the challenge's first line).

- Registering a wallet: an EIP-191 personal message (`wallet_challenge`), which any wallet
  shows its holder as text before signing.
- Asking for a redemption: EIP-712 typed data (`redemption_typed_data`), the form wallets
  show field by field (eth_signTypedData_v4). The signature covers every term the saga acts
  on, so whoever relays the request cannot change one without invalidating it.

Ids are canonical lower-case uuid strings, amounts token minor units, deadlines unix seconds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eth_account.messages import SignableMessage, encode_defunct, encode_typed_data

DOMAIN_NAME = "CNH Stablecoin"
DOMAIN_VERSION = "1"
DEFAULT_CHAIN_ID = 852852
"""The local chain the token goes on (infra/chain: anvil runs with this chain id, CHAIN_ID), not
anvil's 31337 that every dev node answers to; production sets its own."""

REDEMPTION_TYPE = "Redemption"
REDEMPTION_FIELDS: tuple[tuple[str, str], ...] = (
    ("redemptionId", "string"),
    ("wallet", "address"),
    ("amount", "uint256"),
    ("payoutCurrency", "string"),
    ("beneficiaryAccountId", "string"),
    ("quoteId", "string"),
    ("deadline", "uint256"),
)
_DOMAIN_FIELDS = (("name", "string"), ("version", "string"), ("chainId", "uint256"))


def wallet_challenge(customer_id: uuid.UUID, wallet_id: uuid.UUID, address: str) -> str:
    """The text a wallet's key signs to prove control: binds the proof to this customer,
    this wallet id and this address, so it cannot be replayed for another registration."""
    return (
        f"{DOMAIN_NAME}: wallet registration v1\n"
        f"customer: {customer_id}\n"
        f"wallet: {wallet_id}\n"
        f"address: {address}"
    )


def challenge_message(
    customer_id: uuid.UUID, wallet_id: uuid.UUID, address: str
) -> SignableMessage:
    """The challenge as EIP-191 signs it ("\\x19Ethereum Signed Message:\\n" + length + text)."""
    return encode_defunct(text=wallet_challenge(customer_id, wallet_id, address))


def redemption_typed_data(
    *,
    redemption_id: uuid.UUID,
    wallet: str,
    amount: int,
    payout_currency: str,
    beneficiary_account_id: uuid.UUID,
    quote_id: uuid.UUID | None,
    deadline: int,
    chain_id: int = DEFAULT_CHAIN_ID,
) -> dict[str, Any]:
    """The full EIP-712 document of a redemption request (types, primary type, domain,
    message): what a wallet is asked to sign, and what the platform recovers the signer of.
    `wallet` is the EIP-55 address, `amount` token minor units, `deadline` unix seconds."""
    return {
        "types": {
            "EIP712Domain": _fields(_DOMAIN_FIELDS),
            REDEMPTION_TYPE: _fields(REDEMPTION_FIELDS),
        },
        "primaryType": REDEMPTION_TYPE,
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "message": {
            "redemptionId": str(redemption_id),
            "wallet": wallet,
            "amount": amount,
            "payoutCurrency": payout_currency,
            "beneficiaryAccountId": str(beneficiary_account_id),
            "quoteId": "" if quote_id is None else str(quote_id),
            "deadline": deadline,
        },
    }


def expired(deadline: int, now: dt.datetime) -> bool:
    """A signed deadline is the last second (unix time) its signature is good for."""
    return int(now.timestamp()) > deadline


def redemption_message(typed_data: dict[str, Any]) -> SignableMessage:
    """The typed data as EIP-712 signs it ("\\x19\\x01" + domain separator + struct hash)."""
    return encode_typed_data(full_message=typed_data)


def _fields(fields: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in fields]
