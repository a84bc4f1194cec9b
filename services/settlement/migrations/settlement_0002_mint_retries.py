"""Deposits remember how many times a mint was asked for, so that a deposit suspended
because another service had not caught up yet is retried a bounded number of times.

Revision ID: settlement_0002
Revises: settlement_0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "settlement_0002"
down_revision = "settlement_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE deposits ADD COLUMN mint_attempts integer NOT NULL DEFAULT 0")
    op.execute("UPDATE deposits SET mint_attempts = 1 WHERE mint_command_id IS NOT NULL")
    op.execute(
        """
        CREATE INDEX deposits_retryable ON deposits (updated_at)
         WHERE state = 'suspended'
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX deposits_retryable")
    op.execute("ALTER TABLE deposits DROP COLUMN mint_attempts")
