"""Schema migrations through Alembic: `python -m services.runtime.migrate SERVICE [DSN]`.

Every service database gets the runtime branch (outbox, inbox) and the service's own branch.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(dsn: str, *version_dirs: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(RUNTIME_MIGRATIONS))
    locations = [RUNTIME_MIGRATIONS / "versions", *version_dirs]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    # configparser interpolates "%": a percent-encoded URL must be escaped for it
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(dsn).replace("%", "%%"))
    return config


def upgrade(dsn: str, *version_dirs: Path) -> None:
    """Bring the database at `dsn` to the newest revision of every branch."""
    command.upgrade(alembic_config(dsn, *version_dirs), "heads")


async def upgrade_async(dsn: str, *version_dirs: Path) -> None:
    # Alembic's env.py runs its own event loop: keep it off the caller's.
    await asyncio.to_thread(upgrade, dsn, *version_dirs)


def service_migrations(service: str) -> Path:
    return Path(__file__).parent.parent / service / "migrations"


def _sqlalchemy_url(dsn: str) -> str:
    scheme, _, rest = dsn.partition("://")
    if scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"expected a postgresql:// URL, got {scheme}://")
    return f"postgresql+asyncpg://{rest}"


def main() -> None:
    from services.runtime.settings import ServiceSettings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("dsn", nargs="?", help="defaults to the service's CNH_ settings")
    args = parser.parse_args()
    dsn = args.dsn or ServiceSettings(service=args.service).database_url
    folder = service_migrations(args.service)
    upgrade(dsn, *([folder] if folder.is_dir() else []))
    print(f"{args.service}: migrated")


if __name__ == "__main__":
    main()
