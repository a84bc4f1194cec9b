"""Journal entries are written just before their transaction commits (repository/ledger.py
Journal): a release of the reserve is recorded, in the same transaction, before its entry
exists, so its reference to the entry is checked at the commit.

Revision ID: settlement_0003
Revises: settlement_0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "settlement_0003"
down_revision = "settlement_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE reserve_releases ALTER CONSTRAINT reserve_releases_entry_id_fkey"
        " DEFERRABLE INITIALLY DEFERRED"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE reserve_releases ALTER CONSTRAINT reserve_releases_entry_id_fkey"
        " NOT DEFERRABLE"
    )
