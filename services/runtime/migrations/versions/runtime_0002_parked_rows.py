"""Parked outbox rows: rows the broker will never accept, set aside by the relay.

A parked row is neither published nor waiting: the relay reads past it, the backlog does
not count it, and an operator re-queues it (`make parked-requeue`) once the cause is fixed.

Revision ID: runtime_0002
Revises: runtime_0001
Create Date: 2026-12-02
"""

from alembic import op

revision = "runtime_0002"
down_revision = "runtime_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE outbox
            ADD COLUMN parked_at   timestamptz,
            ADD COLUMN park_reason text,
            ADD COLUMN park_detail text,
            ADD CONSTRAINT outbox_parked_has_reason
                CHECK ((parked_at IS NULL) = (park_reason IS NULL)),
            ADD CONSTRAINT outbox_parked_unpublished
                CHECK (parked_at IS NULL OR published_at IS NULL)
        """
    )
    # The relay's read skips parked rows without visiting them.
    op.execute("DROP INDEX outbox_unpublished")
    op.execute(
        "CREATE INDEX outbox_unpublished ON outbox (id)"
        " WHERE published_at IS NULL AND parked_at IS NULL"
    )
    op.execute("CREATE INDEX outbox_parked ON outbox (id) WHERE parked_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX outbox_parked")
    op.execute("DROP INDEX outbox_unpublished")
    op.execute("CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL")
    op.execute(
        """
        ALTER TABLE outbox
            DROP CONSTRAINT outbox_parked_unpublished,
            DROP CONSTRAINT outbox_parked_has_reason,
            DROP COLUMN park_detail,
            DROP COLUMN park_reason,
            DROP COLUMN parked_at
        """
    )
