"""The local chain's settings, from the environment (the Makefile passes them; defaults here
and in infra/chain/anvil.sh agree, and tests/unit/infra/test_chain_settings.py checks they do).

    ANVIL_PORT              the node's JSON-RPC port on 127.0.0.1 (18545)
    CHAIN_ID                the chain id (852852: Hong Kong's calling code twice, not a public
                            chain's, and not anvil's 31337, which every dev node answers to);
                            the EIP-712 domain holders sign is this chain's (CNH_CHAIN_ID)
    CHAIN_BLOCK_TIME        seconds between blocks (1)
    CHAIN_CONFIRMATIONS     blocks on top of a transaction's before it counts as confirmed (3)
    CHAIN_MINTER_ALLOWANCE  the minter allowance the deployment grants issuance, in token
                            minor units (10 million XCNH)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from schemas.signing import DEFAULT_CHAIN_ID

DEFAULT_ANVIL_PORT = 18545
DEFAULT_BLOCK_TIME = 1
DEFAULT_CONFIRMATIONS = 3
DEFAULT_MINTER_ALLOWANCE = 10_000_000 * 10**6


@dataclass(frozen=True, slots=True)
class ChainSettings:
    rpc_url: str
    chain_id: int
    block_time: int
    confirmations: int
    minter_allowance: int
    run_dir: Path

    @classmethod
    def from_env(cls) -> ChainSettings:
        env = os.environ
        port = int(env.get("ANVIL_PORT", DEFAULT_ANVIL_PORT))
        return cls(
            rpc_url=env.get("CNH_CHAIN_RPC_URL", f"http://127.0.0.1:{port}"),
            chain_id=int(env.get("CHAIN_ID", DEFAULT_CHAIN_ID)),
            block_time=int(env.get("CHAIN_BLOCK_TIME", DEFAULT_BLOCK_TIME)),
            confirmations=int(env.get("CHAIN_CONFIRMATIONS", DEFAULT_CONFIRMATIONS)),
            minter_allowance=int(env.get("CHAIN_MINTER_ALLOWANCE", DEFAULT_MINTER_ALLOWANCE)),
            run_dir=Path(env.get("RUN_DIR", Path(__file__).resolve().parents[2] / ".run")),
        )

    @property
    def deployment_file(self) -> Path:
        return self.run_dir / "chain" / "deployment.json"

    @property
    def secrets_root(self) -> Path:
        return self.run_dir / "secrets"
