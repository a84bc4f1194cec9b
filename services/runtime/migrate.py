"""Schema migrations through Alembic: `python -m services.runtime.migrate SERVICE [DSN]`.

Every service database gets the runtime branch (outbox, inbox) and the service's own branch.
Like a service's start, the command waits for PostgreSQL while it does not answer; a
migration that fails for any other reason (an SQL error) exits 1 with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from services.runtime.dependencies import Waiter, postgresql, reason_of
from services.runtime.logging import configure_logging
from services.runtime.readiness import Readiness
from services.runtime.settings import ServiceSettings

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(dsn: str, *version_dirs: Path, runtime: bool = True) -> Config:
    """`runtime=False`: only `version_dirs` (a simulated outside system has no outbox)."""
    config = Config()
    config.set_main_option("script_location", str(RUNTIME_MIGRATIONS))
    locations = [*([RUNTIME_MIGRATIONS / "versions"] if runtime else []), *version_dirs]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    # configparser interpolates "%": a percent-encoded URL must be escaped for it
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(dsn).replace("%", "%%"))
    return config


def upgrade(dsn: str, *version_dirs: Path, runtime: bool = True) -> None:
    """Bring the database at `dsn` to the newest revision of every branch."""
    command.upgrade(alembic_config(dsn, *version_dirs, runtime=runtime), "heads")


async def upgrade_async(dsn: str, *version_dirs: Path, runtime: bool = True) -> None:
    # Alembic's env.py runs its own event loop: keep it off the caller's.
    await asyncio.to_thread(upgrade, dsn, *version_dirs, runtime=runtime)


def service_migrations(service: str) -> Path:
    return Path(__file__).parent.parent / service / "migrations"


def _sqlalchemy_url(dsn: str) -> str:
    scheme, _, rest = dsn.partition("://")
    if scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"expected a postgresql:// URL, got {scheme}://")
    return f"postgresql+asyncpg://{rest}"


async def upgrade_when_reachable(
    settings: ServiceSettings, *version_dirs: Path, runtime: bool = True
) -> None:
    """`upgrade` once PostgreSQL answers, as a service's start waits for it."""
    waiter = Waiter(settings, Readiness(settings.service))
    await waiter.use(
        postgresql(settings),
        "migrations",
        lambda: upgrade_async(settings.database_url, *version_dirs, runtime=runtime),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("dsn", nargs="?", help="defaults to the service's CNH_ settings")
    args = parser.parse_args()
    settings = ServiceSettings(
        service=args.service, **({"database_url": args.dsn} if args.dsn else {})
    )
    # warnings only: "waiting for postgresql" while it is down, not Alembic's every step
    configure_logging(args.service, "WARNING", "console")
    folder = service_migrations(args.service)
    try:
        asyncio.run(upgrade_when_reachable(settings, *([folder] if folder.is_dir() else [])))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        print(f"{args.service}: {reason_of(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"{args.service}: migrated")


if __name__ == "__main__":
    main()
