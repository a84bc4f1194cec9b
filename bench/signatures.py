"""What checking a holder's signature costs: `python -m bench.signatures`.

Times, per signature, what KYC does for each redemption request (encode the EIP-712 typed
data, recover the signer) and what a holder's wallet does (sign), with the secp256k1
backend eth-keys picked: coincurve when installed, else its pure-Python one (force that one
with ECC_BACKEND_CLASS=eth_keys.backends.NativeECCBackend to compare)."""

from __future__ import annotations

import timeit
import uuid
from collections.abc import Callable

from eth_keys.backends import get_backend

from clients.wallet import Wallet, deadline_in
from schemas.signing import redemption_message, redemption_typed_data
from services.kyc.domain.wallets import redemption_signer, signer

ROUNDS = 300


def main() -> None:
    wallet = Wallet()
    rid, account, quote, deadline = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), deadline_in()

    def sign() -> str:
        return wallet.approve(
            redemption_id=rid,
            amount=100 * 10**6,
            payout_currency="USD",
            beneficiary_account_id=account,
            quote_id=quote,
            deadline=deadline,
        )

    terms = redemption_typed_data(
        redemption_id=rid,
        wallet=wallet.address,
        amount=100 * 10**6,
        payout_currency="USD",
        beneficiary_account_id=account,
        quote_id=quote,
        deadline=deadline,
    )
    signature, message = sign(), redemption_message(terms)
    assert redemption_signer(terms, signature) == wallet.address

    def us(call: Callable[[], object]) -> str:
        return f"{timeit.timeit(call, number=ROUNDS) / ROUNDS * 1e6:8.0f} us"

    print(f"secp256k1 backend: {type(get_backend()).__name__}")
    print(f"  encode the typed data   {us(lambda: redemption_message(terms))}")
    print(f"  recover the signer      {us(lambda: signer(message, signature))}")
    print(f"  KYC's check (both)      {us(lambda: redemption_signer(terms, signature))}")
    print(f"  the wallet signs        {us(sign)}")


if __name__ == "__main__":
    main()
