"""XCNH's EIP-2612 permit on the real node, signed with eth-account (EIP-712): a valid permit
approves once; a replay, an expired one or one signed by another key is refused. And the
redemption's path: permit, the hold into the vault (the minter), the compensation, the burn."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from tests.integration.chain.conftest import Issuer
from tests.support.chain import refused, send

pytestmark = pytest.mark.integration

PERMIT_FIELDS = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_permit(token: Contract, holder: str, spender: str, value: int, deadline: int) -> Any:
    return encode_typed_data(
        full_message={
            "types": {"EIP712Domain": DOMAIN_FIELDS, "Permit": PERMIT_FIELDS},
            "primaryType": "Permit",
            "domain": {
                "name": "XCNH",
                "version": "1",
                "chainId": token.w3.eth.chain_id,
                "verifyingContract": token.address,
            },
            "message": {
                "owner": holder,
                "spender": spender,
                "value": value,
                "nonce": token.functions.nonces(holder).call(),
                "deadline": deadline,
            },
        }
    )


def permit_call(
    token: Contract, signer: LocalAccount, holder: str, spender: str, value: int, deadline: int
) -> Any:
    signed = signer.sign_message(typed_permit(token, holder, spender, value, deadline))
    r, s = signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    return token.functions.permit(holder, spender, value, deadline, signed.v, r, s)


def later(token: Contract, seconds: int) -> int:
    return int(token.w3.eth.get_block("latest")["timestamp"]) + seconds


def test_the_domain_separator_is_the_one_wallets_sign_for(xcnh: Issuer) -> None:
    from eth_account._utils.encode_typed_data.encoding_and_hashing import hash_domain

    domain = {
        "name": "XCNH",
        "version": "1",
        "chainId": xcnh.token.w3.eth.chain_id,
        "verifyingContract": xcnh.token.address,
    }
    assert xcnh.token.functions.DOMAIN_SEPARATOR().call() == hash_domain(domain)


def test_a_valid_permit_sets_the_allowance_once_and_a_replay_is_refused(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    holder, relayer = xcnh.holder(), xcnh.holder()
    vault = xcnh.minter.address
    call = permit_call(xcnh.token, holder, holder.address, vault, 25, later(xcnh.token, 600))
    send(w3, relayer, call)  # anyone may carry the holder's signature to the chain
    assert f.allowance(holder.address, vault).call() == 25
    assert f.nonces(holder.address).call() == 1
    assert "invalid signature" in refused(call, relayer)  # the same signature, again


def test_an_expired_permit_is_refused(xcnh: Issuer) -> None:
    holder = xcnh.holder()
    expired = permit_call(
        xcnh.token, holder, holder.address, xcnh.minter.address, 1, later(xcnh.token, -1)
    )
    assert "permit is expired" in refused(expired, holder)
    assert xcnh.token.functions.nonces(holder.address).call() == 0


def test_a_permit_signed_by_another_key_is_refused(xcnh: Issuer) -> None:
    holder, thief = xcnh.holder(), xcnh.holder()
    forged = permit_call(
        xcnh.token, thief, holder.address, thief.address, 9, later(xcnh.token, 600)
    )
    assert "invalid signature" in refused(forged, thief)
    assert xcnh.token.functions.allowance(holder.address, thief.address).call() == 0


def test_a_redemption_holds_in_the_vault_gives_back_and_burns_by_the_minter(xcnh: Issuer) -> None:
    w3, f = xcnh.token.w3, xcnh.token.functions
    holder, vault = xcnh.holder(), xcnh.minter
    xcnh.mint(holder.address, 100)
    deadline = later(xcnh.token, 600)
    send(w3, vault, permit_call(xcnh.token, holder, holder.address, vault.address, 60, deadline))
    send(w3, vault, f.transferFrom(holder.address, vault.address, 60))  # the hold
    send(w3, vault, f.transfer(holder.address, 20))  # a compensation gives back
    send(w3, vault, f.burn(40))  # the final step burns what the vault holds
    assert f.balanceOf(holder.address).call() == 60
    assert f.balanceOf(vault.address).call() == 0
    assert f.totalSupply().call() == 60
    assert "exceeds allowance" in refused(f.transferFrom(holder.address, vault.address, 1), vault)
