"""Firm quotes: a conversion records when the platform accepted its redeem request, and a
quote honoured after its expiry (the request arrived in time, the saga took longer) records
the mid it was honoured against; the market's move since the quote is the issuer's, booked
as its own journal entry (kind 'market_move', at most one per conversion).

Revision ID: fx_0004
Revises: fx_0003
Create Date: 2026-12-02
"""

from alembic import op

revision = "fx_0004"
down_revision = "fx_0003"
branch_labels = None
depends_on = None


_KINDS = "CHECK (kind IN ('trade', 'reversal'{more}))"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE conversions ADD COLUMN accepted_at timestamptz, "
        "ADD COLUMN market_mid numeric CHECK (market_mid > 0)"
    )
    op.execute("ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check")
    op.execute(
        "ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check "
        + _KINDS.format(more=", 'market_move'")
    )


def downgrade() -> None:
    # refused while a market move is booked (the check fails): the issuer's, never dropped
    op.execute("ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check")
    op.execute(
        "ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check "
        + _KINDS.format(more="")
    )
    op.execute("ALTER TABLE conversions DROP COLUMN market_mid, DROP COLUMN accepted_at")
