"""`make chain-deploy` (infra/chain/deploy.py) against the real node, in a run folder of the
test's own: the issuer's keys are new and not the node's dev keys, the roles on chain are
theirs, a second deploy sends nothing, and a fresh chain is deployed anew."""

from __future__ import annotations

import dataclasses
import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from infra.chain import token
from infra.chain.admin import act, report
from infra.chain.deploy import DeploymentRefused, deploy, on_chain_roles
from infra.chain.keys import ChainKeys, Role
from infra.chain.settings import ChainSettings
from tests.support.chain import dev_keys, undone

pytestmark = pytest.mark.integration

ANVIL_SH = Path(__file__).resolve().parents[3] / "infra" / "chain" / "anvil.sh"


@pytest.fixture
def run_folder(chain_settings: ChainSettings, tmp_path: Path) -> ChainSettings:
    return dataclasses.replace(chain_settings, run_dir=tmp_path)


def sent_by(w3: Web3, addresses: dict[str, str]) -> int:
    return sum(
        int(w3.eth.get_transaction_count(Web3.to_checksum_address(a))) for a in addresses.values()
    )


def test_the_issuers_keys_are_new_private_and_none_of_the_nodes_dev_keys(
    w3: Web3, run_folder: ChainSettings
) -> None:
    with undone(w3):
        deployment, made = deploy(run_folder, mine=True)
    assert made
    keys = ChainKeys(run_folder.secrets_root)
    issuer = set(deployment.roles.values())
    assert len(issuer) == len(Role), "each role its own key"
    assert not issuer & set(w3.eth.accounts), "an issuer's role is held by a dev account"
    assert not issuer & {k.address for k in dev_keys(20)}, "an issuer's key is anvil's public key"
    for role in Role:
        key_file = keys.key_file(role)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, key_file
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700, key_file.parent
    assert keys.key_file(Role.MINTER).parent.name == "issuance"
    assert keys.key_file(Role.OWNER).parent != keys.key_file(Role.PAUSER).parent


def test_the_roles_on_chain_are_held_by_the_run_folders_keys(
    w3: Web3, run_folder: ChainSettings
) -> None:
    with undone(w3):
        deployment, _ = deploy(run_folder, mine=True)
        addresses = ChainKeys(run_folder.secrets_root).addresses()
        assert on_chain_roles(w3, deployment.address, addresses[Role.MINTER]) == addresses
        functions = token.at(w3, deployment.address).functions
        allowance = functions.minterAllowance(addresses[Role.MINTER]).call()
        assert allowance == run_folder.minter_allowance
        assert token.is_deployed_at(w3, deployment.address)


def test_a_second_deploy_sends_nothing_and_a_fresh_chain_is_deployed_anew(
    w3: Web3, run_folder: ChainSettings
) -> None:
    with undone(w3):
        with undone(w3):
            first, made = deploy(run_folder, mine=True)
            assert made
            before = sent_by(w3, first.roles)
            again, made_again = deploy(run_folder, mine=True)
            assert (again, made_again) == (first, False)
            assert sent_by(w3, first.roles) == before
        # the node went back before the deployment: the chain no longer holds it
        assert not token.is_deployed_at(w3, first.address)
        anew, made = deploy(run_folder, mine=True)
        assert made
        assert token.is_deployed_at(w3, anew.address)


def test_a_dev_key_in_an_issuers_role_is_refused(w3: Web3, run_folder: ChainSettings) -> None:
    keys = ChainKeys(run_folder.secrets_root)
    keys.init()
    keys.key_file(Role.PAUSER).write_text(Web3.to_hex(dev_keys(1)[0].key))
    with pytest.raises(DeploymentRefused, match="public dev accounts"):
        deploy(run_folder, mine=True)
    assert not run_folder.deployment_file.exists()


def test_a_node_of_another_chain_is_refused(run_folder: ChainSettings) -> None:
    elsewhere = dataclasses.replace(run_folder, chain_id=run_folder.chain_id + 1)
    with pytest.raises(DeploymentRefused, match="not"):
        deploy(elsewhere, mine=True)


def test_a_restarted_node_keeps_its_chain_and_the_deployment(
    tmp_path: Path, run_folder: ChainSettings
) -> None:
    """A second anvil, started and stopped by the project's script, in the test's run folder."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RUN_DIR": str(tmp_path), "ANVIL_PORT": str(port)}
    env["CHAIN_ID"] = str(run_folder.chain_id)
    own = dataclasses.replace(run_folder, rpc_url=f"http://127.0.0.1:{port}")

    def anvil(command: str) -> str:
        done = subprocess.run([ANVIL_SH, command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    anvil("start")
    try:
        deployment, made = deploy(own, mine=True)
        assert made
        assert "running" in anvil("status")
        anvil("stop")
        assert "stopped" in anvil("status")
        anvil("start")
        again, made = deploy(own, mine=True)
        assert (again, made) == (deployment, False), "a restarted node is the same chain"
        assert token.is_deployed_at(token.connect(own.rpc_url), deployment.address)
    finally:
        anvil("stop")


def test_the_officers_raise_the_allowance_and_pause_with_their_own_keys(
    w3: Web3, run_folder: ChainSettings
) -> None:
    with undone(w3):
        deployment, _ = deploy(run_folder, mine=True)
        act(run_folder, deployment, "allowance", 42)
        act(run_folder, deployment, "pause")
        shown = report(run_folder, deployment)
        assert (shown["minter_allowance"], shown["paused"]) == (42, True)
        act(run_folder, deployment, "unpause")
        assert report(run_folder, deployment)["paused"] is False
