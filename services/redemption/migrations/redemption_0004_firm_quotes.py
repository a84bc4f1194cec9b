"""Firm quotes: the service keeps each quote's expiry, so a redeem request that arrives
after it is refused at intake ("quote_expired") and one that arrives before it is honoured
however long the saga then takes (the acceptance time travels with the saga's commands).
Quotes stored before keep no expiry: FX still judges them by its own clock.

The watchdog asks, for each saga it finds due, whether the command it awaits is still in
the outbox (not on the broker yet) and when it was published: the outbox is indexed by
message id for that.

Revision ID: redemption_0004
Revises: redemption_0003
Create Date: 2026-12-02
"""

from alembic import op

revision = "redemption_0004"
down_revision = "redemption_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE quotes ADD COLUMN expires_at timestamptz")
    op.execute("CREATE INDEX outbox_message_id ON outbox (message_id)")


def downgrade() -> None:
    op.execute("DROP INDEX outbox_message_id")
    # the release before refuses the fields it does not know (extra="forbid")
    op.execute(
        "UPDATE redemptions SET saga = (saga #- '{request,accepted_at}') - 'since' - 'waiting'"
    )
    op.execute("ALTER TABLE quotes DROP COLUMN expires_at")
