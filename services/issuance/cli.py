"""Operator commands of the token ledger.

    python -m services.issuance.cli supply     (make supply)

`supply` prints minted, burned, supply, wallet balances and holds, and whether
minted - burned == balances + holds (and the journal agrees with the accounts); it exits 1
when the invariant is broken. The database URL comes from the CNH_* settings, as for the
service itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from services.issuance.domain.supply import Supply
from services.issuance.repository.ledger import supply
from services.issuance.settings import IssuanceSettings


async def read_supply(database_url: str) -> Supply:
    connection = await asyncpg.connect(database_url)
    try:
        return await supply(connection)
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.issuance.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("supply", help="check minted - burned == balances + holds")
    parser.parse_args(argv)
    settings = IssuanceSettings(service="issuance")
    supply = asyncio.run(read_supply(settings.database_url))
    print(supply.render())
    return 1 if supply.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
