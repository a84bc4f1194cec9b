"""Refused deposits: a bank credit that cannot be booked (a zero amount, or one beyond the
reserve limit) is recorded in its own state with the reason, never in the ledger, so a
repeated notice of it is recognised and an operator finds it. Only such a row may have a
zero amount.

Revision ID: settlement_0007
Revises: settlement_0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "settlement_0007"
down_revision = "settlement_0006"
branch_labels = None
depends_on = None

_STATES = "'minting', 'confirmed', 'suspended', 'refunding', 'refunded'"


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE deposits
            DROP CONSTRAINT deposits_state_check,
            ADD CONSTRAINT deposits_state_check CHECK (state IN ({_STATES}, 'refused')),
            DROP CONSTRAINT deposits_amount_minor_check,
            ADD CONSTRAINT deposits_amount_minor_check
                CHECK (amount_minor > 0 OR (state = 'refused' AND amount_minor = 0))
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM deposits WHERE state = 'refused'")
    op.execute(
        f"""
        ALTER TABLE deposits
            DROP CONSTRAINT deposits_state_check,
            ADD CONSTRAINT deposits_state_check CHECK (state IN ({_STATES})),
            DROP CONSTRAINT deposits_amount_minor_check,
            ADD CONSTRAINT deposits_amount_minor_check CHECK (amount_minor > 0)
        """
    )
