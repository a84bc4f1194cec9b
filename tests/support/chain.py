"""The EVM node the chain tests run against: the run folder's anvil (`make infra-up`, or
`infra/with-servers.sh`, which `make test` runs pytest under). An unreachable node fails the
test that needs it, with the reason: never a skip.

Tests run at the node's speed, not its block time: each transaction asks for its block
(`evm_mine`), and each test's changes are undone afterwards (`evm_snapshot`/`evm_revert`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint, TxReceipt

from infra.chain import token
from infra.chain.settings import ChainSettings

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's default: its dev accounts' keys are public, known to anyone."""


def node(settings: ChainSettings) -> Web3:
    w3 = token.connect(settings.rpc_url, timeout=5)
    try:
        chain_id = w3.eth.chain_id
    except OSError as unreachable:
        raise RuntimeError(
            f"no EVM node at {settings.rpc_url} ({unreachable}): run `make infra-up` (or "
            "`make test`, which starts it), or set ANVIL_PORT / CNH_CHAIN_RPC_URL"
        ) from unreachable
    assert chain_id == settings.chain_id, (
        f"the node is chain {chain_id}, CHAIN_ID {settings.chain_id}"
    )
    return w3


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    answer = w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, answer
    return answer["result"]


@contextmanager
def undone(w3: Web3) -> Iterator[None]:
    """Whatever happens on chain inside is undone afterwards."""
    snapshot = rpc(w3, "evm_snapshot")
    try:
        yield
    finally:
        assert rpc(w3, "evm_revert", snapshot) is True


def funded_account(w3: Web3) -> LocalAccount:
    """A new random key with gas (set by the node, not sent from a dev account)."""
    account: LocalAccount = Account.create()
    rpc(w3, "anvil_setBalance", account.address, hex(Web3.to_wei(10, "ether")))
    return account


def dev_keys(count: int = 10) -> list[LocalAccount]:
    """The node's public dev keys (anvil's default mnemonic, path m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]


def send(w3: Web3, sender: LocalAccount, call: ContractFunction) -> TxReceipt:
    return token.send(w3, sender, call, mine=True, timeout=10)


def refused(call: ContractFunction, sender: LocalAccount | str) -> str:
    """The revert reason of `call` sent by `sender`, executed by the node (nothing changes);
    fails the test if the node would accept it."""
    address = sender if isinstance(sender, str) else sender.address
    try:
        call.call({"from": address})
    except ContractLogicError as reverted:
        return str(reverted.message or reverted)
    raise AssertionError(f"{call.fn_name} by {address} was accepted")


def deploy(w3: Web3, owner: LocalAccount, roles: dict[str, LocalAccount]) -> Contract:
    args = (owner.address, *(roles[r].address for r in ("master", "pauser", "blacklister")))
    receipt = token.send(w3, owner, deploy_args=args, mine=True, timeout=10)
    address = receipt["contractAddress"]
    assert address is not None
    return token.at(w3, address)
