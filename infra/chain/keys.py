"""The issuer's keys on the local chain, made anew for each run folder, never the node's
public dev keys (those only pay the new keys' gas).

Each key lives in the folder of whoever holds it, as infra/secrets.py lays out the run
folder's secrets (folders 0700, key files 0600, the key as 0x-hex):

    chain-owner/chain.key          the owner: appoints the master minter, pauser, blacklister
    chain-master-minter/chain.key  the master minter: configures minters and their allowances
    chain-pauser/chain.key         the pauser: stops and resumes every movement
    issuance/chain-minter.key      the minter (issuance): mints; its address is the vault
    issuance/chain-blacklister.key the blacklister (issuance sends every chain transaction;
                                   a KYC freeze is what it blacklists)
    public/chain-accounts.json     every role's address (public)

The owner, master minter and pauser are the issuer's officers, no service's: in production
each is a hardware key or a multisig, and these folders stand in for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from infra.secrets import write_secret


class Role(StrEnum):
    OWNER = "owner"
    MASTER_MINTER = "master-minter"
    PAUSER = "pauser"
    BLACKLISTER = "blacklister"
    MINTER = "minter"


KEY_FILES: dict[Role, tuple[str, str]] = {
    Role.OWNER: ("chain-owner", "chain.key"),
    Role.MASTER_MINTER: ("chain-master-minter", "chain.key"),
    Role.PAUSER: ("chain-pauser", "chain.key"),
    Role.MINTER: ("issuance", "chain-minter.key"),
    Role.BLACKLISTER: ("issuance", "chain-blacklister.key"),
}
ACCOUNTS_FILE = "chain-accounts.json"


@dataclass(frozen=True, slots=True)
class ChainKeys:
    root: Path
    """The run folder's secrets folder."""

    def key_file(self, role: Role) -> Path:
        folder, name = KEY_FILES[role]
        return self.root / folder / name

    @property
    def accounts_file(self) -> Path:
        return self.root / "public" / ACCOUNTS_FILE

    def init(self) -> list[str]:
        """Make the keys that are missing (random, from the OS); returns the roles made."""
        made = []
        for role in Role:
            path = self.key_file(role)
            if path.exists():
                continue
            for folder in (self.root, path.parent):
                folder.mkdir(parents=True, exist_ok=True)
                folder.chmod(0o700)
            write_secret(path, Account.create().key.to_0x_hex().encode())
            made.append(str(role))
        public = self.accounts_file
        public.parent.mkdir(parents=True, exist_ok=True)
        public.write_text(json.dumps(self.addresses(), indent=2, sort_keys=True) + "\n")
        public.chmod(0o644)
        return made

    def account(self, role: Role) -> LocalAccount:
        account: LocalAccount = Account.from_key(self.key_file(role).read_text().strip())
        return account

    def addresses(self) -> dict[str, str]:
        return {str(role): self.account(role).address for role in Role}
