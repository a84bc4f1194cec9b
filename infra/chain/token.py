"""The XCNH contract as Python sees it: the committed artifacts (contracts/artifacts/, which
infra/chain/compile.py checks against the sources) and sending a transaction signed by one
of the issuer's keys."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint, TxParams, TxReceipt

from infra.chain.compile import ARTIFACTS

NAME = "XCNH"


class TransactionFailed(RuntimeError):
    """A mined transaction that reverted (status 0)."""


@cache
def abi() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((ARTIFACTS / f"{NAME}.abi.json").read_text())
    return loaded


@cache
def bytecode() -> str:
    return "0x" + (ARTIFACTS / f"{NAME}.bin").read_text().strip()


@cache
def runtime_code() -> HexBytes:
    return HexBytes((ARTIFACTS / f"{NAME}.bin-runtime").read_text().strip())


def connect(rpc_url: str, timeout: float = 10) -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


def at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi())


def is_deployed_at(w3: Web3, address: str) -> bool:
    """The address holds this contract's code (not some other contract's, not nothing)."""
    return w3.eth.get_code(Web3.to_checksum_address(address)) == runtime_code()


def send(
    w3: Web3,
    sender: LocalAccount,
    call: ContractFunction | None = None,
    *,
    deploy_args: tuple[Any, ...] | None = None,
    mine: bool = False,
    timeout: float = 60,
) -> TxReceipt:
    """Sign `call` (or a deployment of the contract) with `sender`'s key, send it, wait for its
    receipt; a revert raises. `mine`: ask a dev node for a block now, not at the next tick
    (tests do, to run at the speed of the node rather than of its block time)."""
    fields: TxParams = {
        "from": sender.address,
        "nonce": w3.eth.get_transaction_count(sender.address),
    }
    if deploy_args is not None:
        factory = w3.eth.contract(abi=abi(), bytecode=bytecode())
        tx = factory.constructor(*deploy_args).build_transaction(fields)
    else:
        assert call is not None, "send a call or a deployment"
        tx = call.build_transaction(fields)
    signed = sender.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    if mine:
        mine_block(w3)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.1)
    if receipt["status"] != 1:
        raise TransactionFailed(f"transaction {tx_hash.to_0x_hex()} reverted")
    return receipt


def mine_block(w3: Web3) -> None:
    """A block now (anvil's evm_mine): only a dev node answers it."""
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
