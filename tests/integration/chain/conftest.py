"""Fixtures of the chain tests: the run folder's node, and XCNH deployed on it with its
roles held by new random keys (each test's changes undone, the deployment too at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from infra.chain.settings import ChainSettings
from tests.support.chain import deploy, funded_account, node, send, undone

ALLOWANCE = 1_000 * 10**6
"""The minter's allowance in the tests: 1,000 XCNH."""


@dataclass(frozen=True)
class Issuer:
    token: Contract
    owner: LocalAccount
    master: LocalAccount
    pauser: LocalAccount
    blacklister: LocalAccount
    minter: LocalAccount

    def holder(self) -> LocalAccount:
        return funded_account(self.token.w3)

    def mint(self, to: str, amount: int) -> None:
        send(self.token.w3, self.minter, self.token.functions.mint(to, amount))


@pytest.fixture(scope="session")
def chain_settings() -> ChainSettings:
    return ChainSettings.from_env()


@pytest.fixture(scope="session")
def w3(chain_settings: ChainSettings) -> Iterator[Web3]:
    w3 = node(chain_settings)
    with undone(w3):  # the session leaves the node as it found it
        yield w3


@pytest.fixture(scope="session")
def deployed(w3: Web3) -> Issuer:
    keys = {role: funded_account(w3) for role in ("owner", "master", "pauser", "blacklister")}
    contract = deploy(w3, keys["owner"], keys)
    minter = funded_account(w3)
    send(w3, keys["master"], contract.functions.configureMinter(minter.address, ALLOWANCE))
    return Issuer(contract, minter=minter, **keys)


@pytest.fixture
def xcnh(w3: Web3, deployed: Issuer) -> Iterator[Issuer]:
    with undone(w3):
        yield deployed
