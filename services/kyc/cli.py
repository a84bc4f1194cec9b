"""KYC operator commands (the Makefile calls them). They read the service's settings from
the same CNH_* environment as the service, and publish through its outbox.

    python -m services.kyc.cli sanctions-load FILE [FILE ...] [--source SOURCE]
        # UN XML, OFAC sdn.csv (alt.csv beside it), or Hong Kong's per-regime XML files
        # (--source hk-cedb) as one version; the same bytes again re-activate their version
    python -m services.kyc.cli sanctions-activate VERSION   # a known version, active again
    python -m services.kyc.cli sanctions-sources            # versions per source (read-only)
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

import asyncpg

from services.kyc.__main__ import MIGRATIONS
from services.kyc.crypto import KeyRingError
from services.kyc.domain.lists import SOURCES, ListFormatError, UnknownVersion
from services.kyc.list_files import read_list
from services.kyc.repository import sanctions
from services.kyc.repository.work import operate
from services.kyc.settings import KycSettings
from services.kyc.use_cases.operators import (
    DecideReview,
    FreezeCustomer,
    FreezeWallet,
    NotFound,
    decide_review,
    freeze_customer,
    freeze_wallet,
)
from services.kyc.use_cases.records import Reencrypt, Reencrypted, reencrypt
from services.kyc.use_cases.sanctions import (
    ActivateList,
    LoadList,
    LoadReport,
    activate_list,
    load_list,
)
from services.kyc.use_cases.work import Terms
from services.kyc.wiring import terms_from
from services.runtime.db import Pool, create_pool
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
    load.add_argument("files", type=Path, nargs="+", metavar="FILE")
    load.add_argument(
        "--source",
        choices=sorted(SOURCES),
        help="what the files are (default: *.xml the UN list, *.csv OFAC's sdn.csv)",
    )
    activate = commands.add_parser(
        "sanctions-activate", help="make a known list version its source's active one again"
    )
    activate.add_argument("version")
    commands.add_parser("sanctions-sources", help="list versions per source, which are active")
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
    if args.command == "sanctions-sources":
        return await sources(settings.database_url)  # read-only: the operator may run it
    terms = terms_from(settings)
    await upgrade_async(settings.database_url, MIGRATIONS)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        actor = f"cli:{getpass.getuser()}"
        if args.command == "sanctions-load":
            loading = LoadList(read_list(args.files, args.source), actor, _progress)
            return _loaded(await operate(pool, terms, settings, load_list, loading))
        if args.command == "sanctions-activate":
            activating = ActivateList(args.version, actor, _progress)
            return _loaded(await operate(pool, terms, settings, activate_list, activating))
        if args.command == "reencrypt":
            done = await reencrypt_all(pool, terms, settings)
            return (
                f"{done.customers} customer record(s) and {done.accounts} bank account(s) "
                f"encrypted again under key {terms.keyring.active_key_id}; "
                "every record now uses it"
            )
        if not _REASON.match(args.reason):
            raise ValueError("--reason must be a snake_case code (a-z, 0-9, _; <= 64)")
        actor = f"cli:{args.actor}"
        if args.command in ("approve-customer", "reject-customer"):
            review = DecideReview(args.id, args.command == "approve-customer", args.reason, actor)
            return (await operate(pool, terms, settings, decide_review, review)).message
        frozen = args.command.startswith("freeze")
        if args.command.endswith("customer"):
            customer = FreezeCustomer(args.id, frozen, args.reason, actor)
            return (await operate(pool, terms, settings, freeze_customer, customer)).message
        wallet = FreezeWallet(args.id, frozen, args.reason, actor)
        return (await operate(pool, terms, settings, freeze_wallet, wallet)).message
    finally:
        await pool.close()


async def reencrypt_all(
    pool: Pool, terms: Terms, settings: KycSettings, batch: int = 500
) -> Reencrypted:
    """After a rotation of the key ring: every customer's particulars and every bank
    account's details encrypted again under the active key, a batch per transaction. Run
    it again until it changes nothing, then retire the old keys."""
    customers = accounts = 0
    while True:
        done = await operate(pool, terms, settings, reencrypt, Reencrypt(batch))
        customers, accounts = customers + done.customers, accounts + done.accounts
        if not done.more(batch):
            return Reencrypted(customers, accounts)


def _progress(done: int, total: int) -> None:
    # stderr: the waiting operator sees it as it goes; stdout keeps the one-line result
    print(f"re-screened {done}/{total} customers", file=sys.stderr, flush=True)


def _loaded(report: LoadReport) -> str:
    if not report.loaded:
        return f"{report.version}: already loaded and active, nothing changed"
    what = "loaded and active" if report.change == "loaded" else "re-activated"
    return (
        f"{report.version}: {report.entries} entries {what}; "
        f"{report.screened} customers re-screened, {report.frozen} frozen, "
        f"{report.rejected} rejected; active: {', '.join(report.active)}"
    )


async def sources(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await sanctions.versions(connection)
    finally:
        await connection.close()
    if not rows:
        return "no sanctions list is loaded"
    table = [("SOURCE", "VERSION", "PUBLISHED", "DIGEST", "ENTRIES", "LOADED AT (UTC)", "ACTIVE")]
    table += [
        (
            r["source"],
            r["version"],
            r["published"] or "-",
            r["sha256"][:12],
            str(r["entries"]),
            f"{r['loaded_at']:%Y-%m-%d %H:%M:%S}",
            "yes" if r["active"] else "no",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    active = [r for r in rows if r["active"]]
    lines.append(
        f"{len(active)} active of {len(SOURCES)} sources "
        f"({', '.join(sorted(SOURCES))}); screening uses "
        f"{sum(r['entries'] for r in active)} entries"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(run(args)))
    except (NotFound, UnknownVersion, ListFormatError, KeyRingError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
