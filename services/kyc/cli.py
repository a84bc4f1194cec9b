"""KYC operator commands (the Makefile calls them). They read the service's settings from
the same CNH_* environment as the service, and publish through its outbox.

    python -m services.kyc.cli sanctions-load FILE          # UN XML or OFAC sdn.csv
    python -m services.kyc.cli freeze-customer ID --reason REASON [--actor NAME]
    python -m services.kyc.cli unfreeze-customer ID --reason REASON
    python -m services.kyc.cli freeze-wallet ID --reason REASON
    python -m services.kyc.cli unfreeze-wallet ID --reason REASON
    python -m services.kyc.cli approve-customer ID --reason REASON   # after manual review
    python -m services.kyc.cli reject-customer ID --reason REASON    # after manual review
    python -m services.kyc.cli reencrypt     # after rotate-records: rows under the active key
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
import uuid
from pathlib import Path

from services.kyc.__main__ import MIGRATIONS
from services.kyc.crypto import KeyRingError
from services.kyc.domain.lists import ListFormatError
from services.kyc.operations import (
    NotFound,
    decide_review,
    load_list,
    read_list,
    reencrypt,
    set_customer_frozen,
    set_wallet_frozen,
)
from services.kyc.settings import KycSettings
from services.kyc.wiring import Kyc
from services.runtime.db import create_pool
from services.runtime.migrate import upgrade_async

_REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.kyc.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("sanctions-load", help="load a list version and re-screen")
    load.add_argument("file", type=Path)
    commands.add_parser("reencrypt", help="encrypt every customer's particulars again")
    for name in (
        "freeze-customer",
        "unfreeze-customer",
        "freeze-wallet",
        "unfreeze-wallet",
        "approve-customer",
        "reject-customer",
    ):
        sub = commands.add_parser(name)
        sub.add_argument("id", type=uuid.UUID)
        sub.add_argument("--reason", required=True, help="snake_case reason code")
        sub.add_argument("--actor", default=getpass.getuser(), help="who (for the history)")
    return parser


async def run(args: argparse.Namespace) -> str:
    settings = KycSettings(service="kyc")
    kyc = Kyc.from_settings(settings)
    await upgrade_async(settings.database_url, MIGRATIONS)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        if args.command == "sanctions-load":
            report = await load_list(kyc, pool, read_list(args.file), f"cli:{getpass.getuser()}")
            if not report.loaded:
                return f"{report.version}: already loaded, nothing changed"
            return (
                f"{report.version}: {report.entries} entries loaded and active; "
                f"{report.screened} customers re-screened, {report.frozen} frozen, "
                f"{report.rejected} rejected"
            )
        if args.command == "reencrypt":
            changed = await reencrypt(kyc, pool)
            return (
                f"{changed} customer record(s) encrypted again under key "
                f"{kyc.keyring.active_key_id}; every record now uses it"
            )
        if not _REASON.match(args.reason):
            raise ValueError("--reason must be a snake_case code (a-z, 0-9, _; <= 64)")
        actor = f"cli:{args.actor}"
        if args.command in ("approve-customer", "reject-customer"):
            approve = args.command == "approve-customer"
            return (await decide_review(kyc, pool, args.id, approve, args.reason, actor)).message
        frozen = args.command.startswith("freeze")
        action = set_customer_frozen if args.command.endswith("customer") else set_wallet_frozen
        outcome = await action(kyc, pool, args.id, frozen, args.reason, actor)
        return outcome.message
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(run(args)))
    except (NotFound, ListFormatError, KeyRingError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
