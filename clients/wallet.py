"""A holder's wallet: an EVM key generated per run (never one written in the source), and
what it signs for the platform (schemas/signing.py): the proof of control at registration
and each redemption request."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount

from schemas.signing import (
    DEFAULT_CHAIN_ID,
    challenge_message,
    redemption_message,
    redemption_typed_data,
)

APPROVAL_VALIDITY = dt.timedelta(minutes=5)
"""How long a holder's approval of a redemption stays good by default: long enough for a
gateway to relay it, short enough that an approval found later is worthless."""


@dataclass(frozen=True)
class Wallet:
    account: LocalAccount = field(default_factory=Account.create, repr=False)
    chain_id: int = DEFAULT_CHAIN_ID

    @property
    def address(self) -> str:
        """EIP-55 checksummed."""
        return str(self.account.address)

    def prove_control(self, customer_id: uuid.UUID, wallet_id: uuid.UUID) -> str:
        """The EIP-191 signature of KYC's challenge for this registration."""
        return self._sign(challenge_message(customer_id, wallet_id, self.address))

    def approve(
        self,
        *,
        redemption_id: uuid.UUID,
        amount: int,
        payout_currency: str,
        beneficiary_account_id: uuid.UUID,
        quote_id: uuid.UUID | None,
        deadline: int,
    ) -> str:
        """The EIP-712 signature of a redemption request's terms (`amount`: token minor
        units, `deadline`: unix seconds)."""
        terms = redemption_typed_data(
            redemption_id=redemption_id,
            wallet=self.address,
            amount=amount,
            payout_currency=payout_currency,
            beneficiary_account_id=beneficiary_account_id,
            quote_id=quote_id,
            deadline=deadline,
            chain_id=self.chain_id,
        )
        return self._sign(redemption_message(terms))

    def _sign(self, message: SignableMessage) -> str:
        return "0x" + bytes(self.account.sign_message(message).signature).hex()


def deadline_in(validity: dt.timedelta = APPROVAL_VALIDITY) -> int:
    """A deadline `validity` from now, in unix seconds."""
    return int((dt.datetime.now(dt.UTC) + validity).timestamp())
