"""Counters of the test-only counter service.

Revision ID: counter_0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "counter_0001"
down_revision = None
branch_labels = ("counter",)
depends_on = "runtime_0001"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE counters (
            account text   PRIMARY KEY,
            total   bigint NOT NULL CHECK (total >= 0),
            applied integer NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE counters")
