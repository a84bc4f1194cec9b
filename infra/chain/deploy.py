"""Deploys XCNH on the run folder's node and grants its roles to the run folder's keys:

    python -m infra.chain.deploy    (make chain-deploy)

Idempotent: the deployment is recorded in `<run folder>/chain/deployment.json`; when the
node still holds that contract (its code at the address, the deployment's block on the
chain), nothing is sent. A fresh chain (a new node, its state removed) is deployed anew.

The node's dev account only funds the issuer's keys with gas; if one of the issuer's
addresses is among the node's own (public, unlocked) accounts, nothing is deployed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3

from infra.chain import token
from infra.chain.keys import ChainKeys, Role
from infra.chain.settings import ChainSettings

GAS_FUNDING = Web3.to_wei(10, "ether")
LOW_BALANCE = Web3.to_wei(1, "ether")


class DeploymentRefused(RuntimeError):
    """The node or the keys are not what a deployment may go ahead with."""


@dataclass(frozen=True, slots=True)
class Deployment:
    chain_id: int
    address: str
    block_number: int
    block_hash: str
    transaction: str
    roles: dict[str, str]

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Deployment | None:
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError:
            return None


def on_chain_roles(w3: Web3, address: str, minter: str) -> dict[str, str]:
    """Who holds each role on chain (the minter: `minter` if it is one, else nobody)."""
    contract = token.at(w3, address).functions
    return {
        str(Role.OWNER): contract.owner().call(),
        str(Role.MASTER_MINTER): contract.masterMinter().call(),
        str(Role.PAUSER): contract.pauser().call(),
        str(Role.BLACKLISTER): contract.blacklister().call(),
        str(Role.MINTER): minter if contract.isMinter(minter).call() else "",
    }


def live(w3: Web3, deployment: Deployment) -> bool:
    """The node still holds this deployment: same chain, its block, the contract's code."""
    if w3.eth.chain_id != deployment.chain_id or w3.eth.block_number < deployment.block_number:
        return False
    block = w3.eth.get_block(deployment.block_number)
    same_chain = HexBytes(block["hash"]) == HexBytes(deployment.block_hash)
    return same_chain and token.is_deployed_at(w3, deployment.address)


def fund(w3: Web3, accounts: list[LocalAccount], timeout: float, mine: bool) -> None:
    """Gas for the issuer's keys, from the node's first dev account (sent together)."""
    funder = w3.eth.accounts[0]
    sent = [
        w3.eth.send_transaction({"from": funder, "to": a.address, "value": GAS_FUNDING})
        for a in accounts
        if w3.eth.get_balance(a.address) < LOW_BALANCE
    ]
    if mine and sent:
        token.mine_block(w3)
    for tx_hash in sent:
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.1)


def deploy(settings: ChainSettings, *, mine: bool = False) -> tuple[Deployment, bool]:
    """The run folder's deployment, and whether this call made it (False: already there)."""
    w3 = token.connect(settings.rpc_url)
    if w3.eth.chain_id != settings.chain_id:
        raise DeploymentRefused(
            f"the node at {settings.rpc_url} is chain {w3.eth.chain_id}, not {settings.chain_id}"
        )
    keys = ChainKeys(settings.secrets_root)
    keys.init()
    accounts = {role: keys.account(role) for role in Role}
    addresses: dict[str, str] = {str(role): a.address for role, a in accounts.items()}
    dev = set(w3.eth.accounts)
    if dev & set(addresses.values()):
        raise DeploymentRefused("an issuer's key is one of the node's public dev accounts")
    recorded = Deployment.read(settings.deployment_file)
    if recorded is not None and live(w3, recorded):
        held = on_chain_roles(w3, recorded.address, addresses[Role.MINTER])
        if held != addresses:
            raise DeploymentRefused(
                f"the roles on chain are not the run folder's keys: {held} (recorded: {addresses})"
            )
        return recorded, False
    timeout = max(60.0, 20.0 * settings.block_time)
    fund(w3, list(accounts.values()), timeout, mine)
    owner, master = accounts[Role.OWNER], accounts[Role.MASTER_MINTER]
    receipt = token.send(
        w3,
        owner,
        deploy_args=(
            owner.address,
            master.address,
            addresses[Role.PAUSER],
            addresses[Role.BLACKLISTER],
        ),
        mine=mine,
        timeout=timeout,
    )
    address = receipt["contractAddress"]
    assert address is not None
    configure = token.at(w3, address).functions.configureMinter(
        addresses[Role.MINTER], settings.minter_allowance
    )
    token.send(w3, master, configure, mine=mine, timeout=timeout)
    deployment = Deployment(
        chain_id=settings.chain_id,
        address=address,
        block_number=receipt["blockNumber"],
        block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
        transaction=HexBytes(receipt["transactionHash"]).to_0x_hex(),
        roles=addresses,
    )
    deployment.write(settings.deployment_file)
    return deployment, True


def main() -> None:
    settings = ChainSettings.from_env()
    try:
        deployment, made = deploy(settings)
    except DeploymentRefused as refused:
        sys.exit(f"chain-deploy: {refused}")
    what = "deployed" if made else "already deployed"
    print(
        f"chain-deploy: XCNH {what} at {deployment.address} on chain {deployment.chain_id} "
        f"(block {deployment.block_number}); roles: {deployment.roles}"
    )


if __name__ == "__main__":
    main()
