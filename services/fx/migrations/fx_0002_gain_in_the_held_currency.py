"""A reversal's issuer gain is kept in the currency the issuer holds, not valued in CNH.

The surplus of a buy-back is in the payout currency; valued in CNH at the market mid it
grows without bound as that mid falls (a feed's absurd mid made the amount overflow, and
the reversal fail until it was dead-lettered). Gains recorded before this revision were
in CNH.

Revision ID: fx_0002
Revises: fx_0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "fx_0002"
down_revision = "fx_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE reversals ADD COLUMN issuer_gain_currency text NOT NULL DEFAULT 'CNH'")
    op.execute("ALTER TABLE reversals ALTER COLUMN issuer_gain_currency DROP DEFAULT")


def downgrade() -> None:
    op.execute("ALTER TABLE reversals DROP COLUMN issuer_gain_currency")
