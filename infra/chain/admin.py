"""The issuer's officers' acts on the run folder's deployment, each signed by its role's key:

    python -m infra.chain.admin status            (make chain-status)
    python -m infra.chain.admin allowance AMOUNT  (make chain-allowance AMOUNT=minor units)
    python -m infra.chain.admin pause | unpause   (make chain-pause / chain-unpause)

`allowance` sets (not adds to) the minter's allowance, as the master minter; `pause` and
`unpause` are the pauser's.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.chain import token
from infra.chain.deploy import Deployment, live
from infra.chain.keys import ChainKeys, Role
from infra.chain.settings import ChainSettings


def report(settings: ChainSettings, deployment: Deployment) -> dict[str, Any]:
    functions = token.at(token.connect(settings.rpc_url), deployment.address).functions
    minter = deployment.roles[Role.MINTER]
    return {
        "address": deployment.address,
        "chain_id": deployment.chain_id,
        "paused": functions.paused().call(),
        "total_supply": functions.totalSupply().call(),
        "minter_allowance": functions.minterAllowance(minter).call(),
        **{f"role {role}": held for role, held in deployment.roles.items()},
    }


def act(settings: ChainSettings, deployment: Deployment, command: str, amount: int = 0) -> None:
    w3 = token.connect(settings.rpc_url)
    keys = ChainKeys(settings.secrets_root)
    functions = token.at(w3, deployment.address).functions
    if command == "allowance":
        call = functions.configureMinter(deployment.roles[Role.MINTER], amount)
        signer = keys.account(Role.MASTER_MINTER)
    else:
        call = functions.pause() if command == "pause" else functions.unpause()
        signer = keys.account(Role.PAUSER)
    token.send(w3, signer, call, timeout=max(60.0, 20.0 * settings.block_time))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["status", "allowance", "pause", "unpause"])
    parser.add_argument("amount", nargs="?", type=int, help="allowance: token minor units")
    args = parser.parse_args()
    settings = ChainSettings.from_env()
    deployment = Deployment.read(settings.deployment_file)
    if deployment is None or not live(token.connect(settings.rpc_url), deployment):
        sys.exit("chain: no deployment on this node: run `make chain-deploy`")
    if args.command == "allowance" and (args.amount is None or args.amount < 0):
        sys.exit("usage: python -m infra.chain.admin allowance AMOUNT (token minor units)")
    if args.command != "status":
        act(settings, deployment, args.command, args.amount or 0)
    for name, value in report(settings, deployment).items():
        print(f"{name:>20}: {value}")


if __name__ == "__main__":
    main()
